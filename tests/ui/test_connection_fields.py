"""The connection form per type: its strings to the connections service's config and
credentials (hidden inputs and blank secrets are not sent), and where each error is shown."""

from __future__ import annotations

import pytest

from etlfabric.errors import Invalid
from etlfabric.services import connection_specs as specs
from etlfabric.ui.state import connection_fields as cf


def test_the_connection_form_builds_config_and_secrets_per_type():
    form = cf.defaults("rest_api") | {
        "base_url": "https://api.example.com/",
        "auth": "bearer",
        "credentials.token": "t0k",
        "credentials.password": "hidden, not sent",
        "headers": "Accept: application/json\n\n",
        "pagination.type": "offset",
    }
    config, secrets = cf.to_service("rest_api", form)
    assert secrets == {"token": "t0k"}
    assert config["headers"] == {"Accept": "application/json"}
    assert config["pagination"] == {
        "type": "offset",
        "page_size": "100",
        "offset_param": "offset",
        "limit_param": "limit",
    }
    back = cf.from_config("rest_api", {**config, "headers": {"Accept": "x"}})
    assert back["credentials.token"] == "" and back["headers"] == "Accept: x"
    with pytest.raises(Invalid) as bad:
        cf.to_service("rest_api", form | {"headers": "no colon here"})
    assert cf.error_input("rest_api", bad.value.field) == "headers"
    assert cf.error_input("rest_api", "config.pagination.next_path") == "pagination.next_path"
    assert cf.error_input("postgres", "credentials.password") == "credentials.password"
    assert cf.error_input("postgres", "config.colour") == ""
    assert "NOT exercised" in cf.EXERCISED["mssql"] and "NOT exercised" in cf.EXERCISED["oracle"]


def test_every_type_one_may_add_has_a_form_the_specs_accept():
    filled = {"host": "db", "database": "d", "service_name": "s", "username": "u"}
    filled |= {"path": "shop.sqlite", "base_url": "http://x", "service_url": "http://x"}
    for kind in cf.TYPES:
        form = cf.defaults(kind) | {k: v for k, v in filled.items() if k in cf.defaults(kind)}
        config, secrets = cf.to_service(kind, form)
        clean = specs.validate_config(kind, config, set(secrets))
        assert cf.from_config(kind, clean).keys() == cf.defaults(kind).keys()
