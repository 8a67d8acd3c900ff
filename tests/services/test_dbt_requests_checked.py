"""What a run's payload may ask of dbt (transformation_checks.dbt_request): it is checked for
every run, whoever started it, since a URL trigger's body is the payload."""

from __future__ import annotations

import pytest

from etlfabric.errors import Invalid
from etlfabric.services.transformation_checks import dbt_request


@pytest.mark.parametrize(
    ("payload", "asked"),
    [
        (None, ("run", "stg_orders")),
        ({"day": "2026-11-24"}, ("run", "stg_orders")),  # keys dbt does not read stay allowed
        ({"command": "test"}, ("test", "stg_orders")),
        ({"command": "build", "select": "+stg_orders+"}, ("build", "+stg_orders+")),
        ({"select": " stg_orders+ "}, ("run", "stg_orders+")),
    ],
)
def test_a_models_run_may_test_build_and_widen_the_model(payload, asked):
    assert dbt_request(payload, "stg_orders") == asked


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"command": "docs"}, "command"),
        ({"command": "seed"}, "command"),
        ({"command": ["run"]}, "command"),
        ({"select": "orders"}, "select"),
        ({"select": "tag:nightly"}, "select"),
        ({"select": "stg_orders,other"}, "select"),
        ({"select": "--full-refresh"}, "select"),
        ({"select": 5}, "select"),
    ],
)
def test_a_models_run_asks_nothing_else(payload, field):
    with pytest.raises(Invalid) as refused:
        dbt_request(payload, "stg_orders")
    assert refused.value.field == field


def test_the_whole_project_runs_its_commands_and_selects_only_a_seed():
    assert dbt_request(None, None) == ("build", None)
    assert dbt_request({"command": "docs"}, None) == ("docs", None)
    assert dbt_request({"command": "seed", "select": "country_codes"}, None) == (
        "seed",
        "country_codes",
    )
    for payload, field in (
        ({"command": "run"}, "command"),
        ({"command": "build", "select": "stg_orders"}, "select"),
        ({"command": "seed", "select": "a b"}, "select"),
        ({"command": "seed", "select": "--full-refresh"}, "select"),
    ):
        with pytest.raises(Invalid) as refused:
            dbt_request(payload, None)
        assert refused.value.field == field
