"""Files (CSV, JSONL, Parquet) from the organisation's files folder into its Warehouse."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from etlfabric.models import RunStatus
from etlfabric.pipelines import inspect
from etlfabric.services import connection_access
from tests.pipeline_factories import make_connection, make_pipeline, warehouse
from tests.pipeline_runs import execute


async def test_csv_jsonl_and_parquet_files_by_glob_with_a_filter(owner):
    folder = connection_access.files_dir(owner.org_id) / "drops"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sales_1.csv").write_text("id,amount\n1,10\n2,20\n")
    (folder / "sales_2.csv").write_text("id,amount\n3,30\n")
    (folder / "events.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "kind": k}) for i, k in [(1, "a"), (2, "b"), (3, "a")])
    )
    pq.write_table(pa.table({"id": [1, 2], "city": ["Oslo", "Lima"]}), folder / "cities.parquet")
    wh = await warehouse(owner.org_id)
    cases = [
        ("csv", "drops/sales_*.csv", [], "sales", [[1, 10], [2, 20], [3, 30]]),
        (
            "jsonl",
            "drops/events.jsonl",
            [{"column": "kind", "op": "eq", "value": "a"}],
            "events",
            [[1, "a"], [3, "a"]],
        ),
        ("parquet", "drops/*.parquet", [], "cities", [[1, "Oslo"], [2, "Lima"]]),
    ]
    for fmt, pattern, filters, table, expected in cases:
        source = await make_connection(
            owner.org_id, type="files", config={"format": fmt, "glob": pattern}
        )
        pipeline = await make_pipeline(
            owner,
            source,
            wh,
            mode="files",
            config={"options": {"table_name": table}},
            filters=filters,
        )
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded, (fmt, run.error, texts)
        assert run.details["tables"] == {table: len(expected)}
        _, rows = inspect.preview_rows(owner.org_id, pipeline, table)
        assert sorted(rows) == expected
