"""One organisation per test module: dbt runs are slow to start, reuse what can be reused."""

from __future__ import annotations

import pytest

from tests.factories import make_owned_org


@pytest.fixture(scope="module")
async def owner():
    _, _, principal = await make_owned_org()
    return principal
