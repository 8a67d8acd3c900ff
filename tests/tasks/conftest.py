"""Fixtures shared by the tests that run tasks on a real Celery worker."""

from __future__ import annotations

import pytest

from tests.factories import make_owned_org


@pytest.fixture
async def owner(celery_worker):
    """The owner of a new organisation, with the module's worker running."""
    _, _, principal = await make_owned_org()
    return principal
