"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest

from tests.factories import make_owned_org


@pytest.fixture
async def owner():
    """The owner of a new organisation."""
    _, _, principal = await make_owned_org()
    return principal
