"""How dbt's answers read in the transformation pages, and the editor's column/test rows to and from
the service's fields. Pure functions: the pages get plain strings."""

from __future__ import annotations

import json
from datetime import date, datetime

from etlfabric.errors import Invalid
from etlfabric.services.transformation_checks import MATERIALIZATIONS, TESTS

MATERIALIZATION_LABELS = {
    "view": "View",
    "table": "Table",
    "incremental": "Incremental",
    "ephemeral": "Ephemeral",
}
assert set(MATERIALIZATION_LABELS) == set(MATERIALIZATIONS)
TEST_LABELS = {
    "not_null": "Not null",
    "unique": "Unique",
    "accepted_values": "Accepted values",
    "relationships": "Relationship",
}
assert set(TEST_LABELS) == set(TESTS)
NODE_STATUS = {"pass": "Passed", "fail": "Failed", "warn": "Warning", "error": "Error"}
NODE_STATUS |= {"success": "Succeeded", "skipped": "Skipped", "runtime error": "Error"}
# dbt's node status -> the run status whose colour it wears
NODE_COLOUR = {"pass": "succeeded", "success": "succeeded", "fail": "failed", "error": "failed"}
NODE_COLOUR |= {"runtime error": "failed", "warn": "timed_out", "skipped": "skipped"}


def cell_text(value) -> str:
    """One preview cell: NULL for a missing value, ISO dates, JSON for lists and objects."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def preview_table(answer: dict) -> tuple[list[str], list[list[str]]]:
    """(column names, rows of cell texts) of a preview answer {"columns", "rows"}."""
    columns = [str(name) for name in answer.get("columns") or []]
    rows = [[cell_text(value) for value in row] for row in answer.get("rows") or []]
    return columns, rows


def selections(name: str) -> list[str]:
    """What a run may select: the model, with its upstream, downstream, or both."""
    return [name, f"+{name}", f"{name}+", f"+{name}+"] if name else []


def dbt_test_results(details: dict | None) -> list[dict[str, str]]:
    """The test nodes of a run's details["dbt"]["nodes"]: name, status word and colour, failing
    rows, the compiled test SQL and dbt's message."""
    nodes = ((details or {}).get("dbt") or {}).get("nodes") or []
    out = []
    for node in nodes:
        if node.get("resource_type") != "test":
            continue
        status = str(node.get("status") or "")
        failures = node.get("failures")
        out.append(
            {
                "name": str(node.get("name") or ""),
                "status": NODE_COLOUR.get(status, "skipped"),
                "status_label": NODE_STATUS.get(status, status.capitalize() or "Unknown"),
                "failures": "—" if failures is None else f"{failures:,}",
                "compiled_sql": str(node.get("compiled_sql") or "").strip(),
                "message": str(node.get("message") or "") if status != "pass" else "",
            }
        )
    return sorted(out, key=lambda row: (row["status"] != "failed", row["name"]))


def rows_of_columns(columns: list[dict], keys) -> list[dict[str, str]]:
    """The editor's rows of column docs; `keys` yields a fresh row key each call."""
    return [
        {"key": next(keys), "name": c["name"], "description": c.get("description") or ""}
        for c in columns
    ]


def argument_of(test: dict) -> str:
    """What the row's one argument box shows: accepted values, or model.field."""
    if test["test"] == "accepted_values":
        return ", ".join(str(value) for value in test.get("values") or [])
    if test["test"] == "relationships":
        return f"{test.get('to', '')}.{test.get('field', '')}"
    return ""


def rows_of_tests(tests: list[dict], keys) -> list[dict[str, str]]:
    return [
        {"key": next(keys), "column": t["column"], "test": t["test"], "argument": argument_of(t)}
        for t in tests
    ]


def filled(rows: list[dict[str, str]], *fields: str) -> list[dict[str, str]]:
    """The rows where one of `fields` is filled in (the user's empty rows go before a save, so
    the service's `tests.<n>` points at the row the user sees as n)."""
    return [row for row in rows if any(str(row.get(f) or "").strip() for f in fields)]


def service_columns(rows: list[dict[str, str]]) -> list[dict]:
    return [
        {"name": row["name"].strip(), "description": row["description"].strip()} for row in rows
    ]


def _test_of(index: int, row: dict[str, str]) -> dict:
    test = {"column": row["column"].strip(), "test": row["test"]}
    argument = row.get("argument", "").strip()
    if row["test"] == "accepted_values":
        test["values"] = [part.strip() for part in argument.split(",") if part.strip()]
    elif row["test"] == "relationships":
        to, dot, field = argument.partition(".")
        if not dot or not to.strip() or not field.strip():
            raise Invalid(
                f"tests.{index}.to",
                f"Write the related model and its field as model.field; '{argument}' is not.",
            )
        test["to"], test["field"] = to.strip(), field.strip()
    return test


def service_tests(rows: list[dict[str, str]]) -> list[dict]:
    return [_test_of(index, row) for index, row in enumerate(rows)]


def row_error(field: str | None) -> tuple[str, int] | None:
    """("columns" | "tests", row index) for a service field like `tests.2.values`."""
    kind, _, rest = str(field or "").partition(".")
    number = rest.partition(".")[0]
    return (kind, int(number)) if kind in ("columns", "tests") and number.isdigit() else None
