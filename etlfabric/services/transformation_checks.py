"""Checks on a transformation's fields, without the database (pure): each refusal names its field.

The names become dbt node names, file names and SQL identifiers, so they are plain lower-case
identifiers; tests are the four generic tests dbt ships with.
"""

from __future__ import annotations

import re

from etlfabric.errors import Invalid

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MATERIALIZATIONS = ("view", "table", "incremental", "ephemeral")
TESTS = ("not_null", "unique", "accepted_values", "relationships")
FIELDS = ("name", "sql", "schema_name", "materialization", "unique_key", "description")
FIELDS += ("columns", "tests", "enabled")
MAX_SQL = 200_000
SELECT = re.compile(r"^(\+?)([a-z_][a-z0-9_]*)(\+?)$")
MODEL_COMMANDS = ("run", "test", "build")  # the first is what a model's run does by default
PROJECT_COMMANDS = {  # the first is what a run of the whole project does by default
    "build": "dbt build",
    "seed": "dbt seed",
    "snapshot": "dbt snapshot",
    "freshness": "dbt source freshness",
    "docs": "dbt docs generate",
}
REFS = re.compile(r"""\bref\(\s*['"]([^'"]+)['"]\s*\)""")
SOURCES = re.compile(r"""\bsource\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")


def check_name(field: str, value, what: str = "A model name") -> str:
    text = str(value or "").strip()
    if not NAME.match(text):
        raise Invalid(
            field,
            f"{what} is 1-63 lower-case letters, digits and underscores, starting with a letter "
            f"or underscore (e.g. stg_orders); '{text}' is not.",
        )
    return text


def check_column(field: str, value) -> str:
    text = str(value or "").strip()
    if not COLUMN.match(text):
        raise Invalid(field, f"'{text}' is not a column name (letters, digits, underscores).")
    return text


def _unique_key(value, materialization: str) -> str | None:
    keys = [part.strip() for part in str(value or "").split(",") if part.strip()]
    for key in keys:
        check_column("unique_key", key)
    if materialization != "incremental" and keys:
        raise Invalid("unique_key", "Only an incremental model has a unique key.")
    return ",".join(keys) or None


def _columns(value) -> list[dict]:
    if not isinstance(value, list):
        raise Invalid("columns", "Give columns as a list of {name, description}.")
    out, seen = [], set()
    for index, column in enumerate(value):
        field = f"columns.{index}"
        if not isinstance(column, dict):
            raise Invalid(field, "Give each column as {name, description}.")
        name = check_column(f"{field}.name", column.get("name"))
        if name in seen:
            raise Invalid(f"{field}.name", f"Column '{name}' is listed twice.")
        seen.add(name)
        out.append({"name": name, "description": str(column.get("description") or "")})
    return out


def _test(index: int, test) -> dict:
    field = f"tests.{index}"
    if not isinstance(test, dict):
        raise Invalid(field, "Give each test as {column, test, ...}.")
    column = check_column(f"{field}.column", test.get("column"))
    kind = test.get("test")
    if kind not in TESTS:
        raise Invalid(f"{field}.test", f"Choose one of: {', '.join(TESTS)}.")
    out = {"column": column, "test": kind}
    if kind == "accepted_values":
        values = test.get("values")
        if not isinstance(values, list) or not values:
            raise Invalid(f"{field}.values", "accepted_values needs a non-empty list of values.")
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise Invalid(f"{field}.values", "Each accepted value is a text, number or boolean.")
        out["values"] = values
    if kind == "relationships":
        out["to"] = check_name(f"{field}.to", test.get("to"), "The related model's name")
        out["field"] = check_column(f"{field}.field", test.get("field"))
    return out


def clean(values: dict) -> dict:
    """The whole transformation checked: its cleaned fields, or Invalid naming the field."""
    out = dict(values)
    out["name"] = check_name("name", values.get("name"))
    sql = values.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise Invalid("sql", "Write the model's SELECT statement.")
    if len(sql) > MAX_SQL:
        raise Invalid("sql", f"The SQL is longer than {MAX_SQL:,} characters.")
    out["sql"] = sql
    out["schema_name"] = check_name("schema_name", values.get("schema_name"), "A schema name")
    materialization = values.get("materialization") or "view"
    if materialization not in MATERIALIZATIONS:
        raise Invalid("materialization", f"Choose one of: {', '.join(MATERIALIZATIONS)}.")
    out["materialization"] = materialization
    out["unique_key"] = _unique_key(values.get("unique_key"), materialization)
    out["description"] = str(values.get("description") or "")
    out["columns"] = _columns(values.get("columns") or [])
    tests = values.get("tests") or []
    if not isinstance(tests, list):
        raise Invalid("tests", "Give tests as a list of {column, test, ...}.")
    out["tests"] = [_test(index, test) for index, test in enumerate(tests)]
    out["enabled"] = bool(values.get("enabled", True))
    return out


def references(sql: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The model names the SQL refs and the (source, table) pairs it reads."""
    return set(REFS.findall(sql or "")), set(SOURCES.findall(sql or ""))


def selection(name: str, select_: str | None) -> str:
    """The dbt selection of a model's run: the model, `+model`, `model+` or `+model+`."""
    if not select_:
        return name
    found = SELECT.match(str(select_).strip())
    if found is None or found.group(2) != name:
        raise Invalid("select", f"Choose {name}, +{name}, {name}+ or +{name}+.")
    return found.group(0)


def dbt_request(payload: dict | None, model: str | None) -> tuple[str, str | None]:
    """The dbt command and selection a run's payload asks for, checked, whoever started it (a
    URL trigger's body is the payload): a model's run (`model` its name) runs, tests or builds
    the model, with `+` for upstream or downstream; a run of the whole project (`model` None)
    is one of PROJECT_COMMANDS and selects only for a seed's load, by the seed's name."""
    payload = payload if isinstance(payload, dict) else {}
    allowed = tuple(PROJECT_COMMANDS) if model is None else MODEL_COMMANDS
    command = payload.get("command") or allowed[0]
    if command not in allowed:
        what = "the whole project" if model is None else f"the model '{model}'"
        raise Invalid(
            "command", f"A run of {what} is one of: {', '.join(allowed)}; '{command}' is not."
        )
    select_ = payload.get("select")
    if model is not None:
        return command, selection(model, select_)
    if select_ is None:
        return command, None
    if command != "seed":
        raise Invalid("select", "Of the whole project only a seed's load selects: its name.")
    return command, check_name("select", select_, "A seed name")
