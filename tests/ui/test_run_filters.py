"""The runs page's filter form read into a RunFilter: targets of every kind."""

from __future__ import annotations

import pytest

from etlfabric.errors import Invalid
from etlfabric.models import TargetType
from etlfabric.ui.state.runs import FILTERS, run_filter


def form(**values: str) -> dict[str, str]:
    return {name: "" for name in FILTERS} | values


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"target": "pipeline:7"}, (TargetType.pipeline, 7)),
        ({"target": "script:3"}, (TargetType.script, 3)),
        ({"target": "12"}, (TargetType.script, 12)),  # older links: ?target=<script id>
        ({"target_type": "pipeline"}, (TargetType.pipeline, None)),
        ({"target_type": "script", "target": "pipeline:7"}, (TargetType.pipeline, 7)),
        ({}, (None, None)),
    ],
)
def test_a_target_of_any_kind_is_read(values, expected):
    found = run_filter(form(**values))
    assert (found.target_type, found.target_id) == expected


def test_an_unknown_kind_names_the_field():
    with pytest.raises(Invalid) as caught:
        run_filter(form(target="robot:3"))
    assert caught.value.field == "target_type"
