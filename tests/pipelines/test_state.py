"""A pipeline's dlt state as the platform reads it: dlt's typed JSON decoded, then shown as text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from dlt.common.json import json as dlt_json

from etlfabric.pipelines import inspect, state
from etlfabric.pipelines.spec import pipeline_dir, pipeline_name


def test_cursors_and_last_extraction_are_read_with_their_types(tmp_path):
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    raw = {
        "sources": {
            "shop": {
                "resources": {
                    "orders": {"incremental": {"updated_at": {"last_value": moment}}},
                    "days": {"incremental": {"day": {"last_value": date(2024, 5, 2)}}},
                    "prices": {"incremental": {"amount": {"last_value": Decimal("9.50")}}},
                    "ids": {"incremental": {"id": {"last_value": 42}}},
                }
            }
        },
        "_local": {"_last_extracted_at": moment},
    }
    folder = pipeline_dir(tmp_path, 7, 3) / pipeline_name(7, 3)
    folder.mkdir(parents=True)
    (folder / "state.json").write_text(dlt_json.typed_dumps(raw))
    assert "\uf027" in (folder / "state.json").read_text()  # dlt marks the datetimes

    found = state.read_state(7, 3, data_dir=tmp_path)
    assert found["cursors"] == {
        "orders": {"updated_at": moment},
        "days": {"day": date(2024, 5, 2)},
        "prices": {"amount": Decimal("9.50")},
        "ids": {"id": 42},
    }
    assert found["last_extracted_at"] == moment
    shown = {column: inspect._plain(v) for column, v in found["cursors"]["orders"].items()}
    assert shown == {"updated_at": "2024-05-01T12:30:00+00:00"}
    assert inspect._plain(Decimal("9.50")) == "9.50"


def test_the_last_load_is_told_by_its_time(tmp_path):
    """dlt names a load after the Unix time it started; the state carries that time too."""
    folder = pipeline_dir(tmp_path, 7, 4) / pipeline_name(7, 4) / "load" / "loaded"
    for load_id in ("1795486097.1571515", "1795400000.5"):
        (folder / load_id).mkdir(parents=True)

    found = state.read_state(7, 4, data_dir=tmp_path)
    assert found["last_load_id"] == "1795486097.1571515"
    assert found["last_load_at"] == datetime(2026, 11, 24, 2, 8, 17, 157151, tzinfo=UTC)
    assert state.read_state(7, 5, data_dir=tmp_path)["last_load_at"] is None
    assert state.load_time("not-a-load") is None
