"""Where signing in leads (auth.safe_next, sign_in_for): back to the page the user opened, and
never to another site."""

from __future__ import annotations

import pytest

from etlfabric.ui.state.auth import safe_next, sign_in_for


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/pipelines/4", "/pipelines/4"),
        ("/runs?status=failed&q=a b", "/runs?status=failed&q=a b"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/runs\n/x", "/"),
        ("/sign-in?next=/x", "/"),
        ("/sign-up/", "/"),
    ],
)
def test_only_paths_of_this_app_are_followed(asked, goes):
    assert safe_next(asked) == goes


def test_the_sign_in_address_carries_the_page_and_its_query():
    assert sign_in_for("/runs", "status=failed&page=2") == (
        "/sign-in?next=/runs%3Fstatus%3Dfailed%26page%3D2"
    )
    assert sign_in_for("/") == "/sign-in"
    assert sign_in_for("/sign-in") == "/sign-in"
