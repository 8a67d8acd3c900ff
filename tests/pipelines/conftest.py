"""Fixtures of the pipeline runner tests: one organisation shared by a module's tests (dlt runs
are slow to start: reuse what can be reused). The source database is `source_db`
(tests/conftest.py).
"""

from __future__ import annotations

import pytest

from tests.factories import make_owned_org


@pytest.fixture(scope="module")
async def owner():
    _, _, principal = await make_owned_org()
    return principal
