"""The child's one machine-readable line, `ETLFABRIC_RESULT {json}`, both ways: the child writes
it (`result_line`), the worker reads it back (`ResultReader`) into the run's rows and details.

No dlt here: the worker imports this module.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the child imports this module too: it must not pay for the runner's imports
    from etlfabric.runners.process import Outcome

MARKER = "ETLFABRIC_RESULT "
DETAIL_KEYS = ("load_id", "tables", "schema_changes", "contract_violations", "dataset")


def result_line(result: dict) -> str:
    return MARKER + json.dumps(result, default=str, separators=(",", ":"))


def schema_changes(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """New tables and new columns of `after` ({table: {column: data_type}}) against `before`."""
    changes = []
    for table, columns in sorted(after.items()):
        if table not in before:
            changes.append({"change": "new_table", "table": table, "columns": sorted(columns)})
            continue
        for column, data_type in sorted(columns.items()):
            if column not in before[table]:
                changes.append(
                    {
                        "change": "new_column",
                        "table": table,
                        "column": column,
                        "data_type": data_type,
                    }
                )
    return changes


class ResultReader:
    """Passes output lines on and keeps the result line (which is not shown in the log)."""

    ROWS = "rows_loaded"  # the result's key for the run's row count

    def __init__(self, on_output):
        self.on_output = on_output
        self.result: dict | None = None

    def __call__(self, stream: str, line: str) -> None:
        if stream == "stdout" and line.startswith(MARKER):
            try:
                self.result = json.loads(line[len(MARKER) :])
                return
            except ValueError:
                pass
        self.on_output(stream, line)

    def outcome(self, outcome: Outcome) -> Outcome:
        """The process's outcome with what the child reported: rows, details, its own error."""
        result = self.result
        if result is None:
            return outcome
        details, rows = self.details(result), result.get(self.ROWS)
        if outcome.status == "succeeded" and result.get("ok"):
            return replace(outcome, rows_loaded=rows, details=details)
        error = result.get("error") if outcome.status in ("succeeded", "failed") else None
        return replace(
            outcome,
            status="failed" if outcome.status == "succeeded" else outcome.status,
            error=error or outcome.error,
            rows_loaded=rows,
            details=details or None,
        )

    def details(self, result: dict) -> dict:
        return {key: result[key] for key in DETAIL_KEYS if key in result}
