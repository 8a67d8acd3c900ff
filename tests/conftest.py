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


@pytest.fixture(scope="module")
def celery_worker(request, tmp_path_factory):
    """A real Celery worker with two slots for runs and one for dbt's interactive requests
    (`etlfabric worker` as deployed), for the tests of one module, stopped after them."""
    from tests.run_factories import worker

    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    with worker(tmp_path_factory.mktemp(name), name, concurrency=2, interactive=1) as process:
        yield process


@pytest.fixture(scope="module")
def source_db():
    """A throwaway PostgreSQL database for a module's pipelines to read from; its name."""
    from tests.pipeline_factories import source_database

    with source_database() as name:
        yield name


@pytest.fixture
def clean_queues():
    """Empty Celery queues and forget which queues workers serve; opt in with usefixtures (not
    beside a module-scoped worker: it would forget that worker's queues too)."""
    from etlfabric.services import run_events

    run_events.sync_redis().flushdb()
    run_events.forget_served_queues()


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
