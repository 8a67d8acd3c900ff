"""One web app for every browser test: building the Reflex frontend once costs about a minute."""

from __future__ import annotations

import pytest

from tests.browser import chromium_available, web_app


@pytest.fixture(scope="session")
def base_url():
    if not chromium_available():
        pytest.skip("needs Chromium: apt-get install chromium")
    with web_app(name="web-ui") as url:
        yield url
