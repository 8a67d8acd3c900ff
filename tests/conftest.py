"""Test set-up: a throwaway database on a real PostgreSQL, a Redis of its own, test settings
(tests/environment.py), and the fixtures every test shares.
"""

from __future__ import annotations

import os

import pytest

from tests import environment

TEST_DATABASE_URL = environment.configure("etlfabric_test")


@pytest.fixture(scope="session", autouse=True)
def test_database():
    environment.create_database()
    yield TEST_DATABASE_URL
    environment.drop_database()


@pytest.fixture(autouse=True)
def restore_environment():
    """Tests may change os.environ and cached settings; put both back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    from etlfabric.config import reset_settings

    reset_settings()


@pytest.fixture(scope="session")
async def async_engine_cleanup():
    yield
    from etlfabric.db import dispose_engines

    await dispose_engines()


def pytest_collection_modifyitems(config, items):
    """In CI a browser test must run: a missing Chromium is an error, not a quiet skip."""
    from tests.browser import CHROMIUM, chromium_available

    wanted = any(item.get_closest_marker("browser") for item in items)
    if os.environ.get("CI") and wanted and not chromium_available():
        raise pytest.UsageError(f"CI: browser tests need {CHROMIUM} (apt-get install chromium)")
