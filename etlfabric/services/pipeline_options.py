"""Value checks shared by the pipeline checks, and the raw dlt options a pipeline may set (the
editor's "advanced options" JSON): an allow-list, each option with its own check, so nothing else
reaches dlt from user input. Each refusal is an `Invalid` naming the field."""

from __future__ import annotations

from collections.abc import Callable

from etlfabric.errors import Invalid
from etlfabric.services.naming import require_identifier

MAX_NAME_CHARS = 128  # table, column, resource and path names
MAX_LIST = 1_000


def choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise Invalid(field, f"{field} must be one of: {', '.join(choices)}.")
    return value


def whole(field: str, value: object, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise Invalid(field, f"{field} must be a whole number from {lowest:,} to {highest:,}.")
    return value


def flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(field, f"{field} must be true or false.")
    return value


def name(field: str, value: object) -> str:
    """A table, column, resource or path name: non-empty text without control characters."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(field, f"{field} must be a non-empty name.")
    cleaned = value.strip()
    if len(cleaned) > MAX_NAME_CHARS or any(ord(ch) < 32 for ch in cleaned):
        raise Invalid(
            field, f"{field} must be at most {MAX_NAME_CHARS} characters, without control ones."
        )
    return cleaned


def names(field: str, value: object, *, allow_text: bool = True) -> list[str]:
    """A list of names; one name given as text is a list of one. Duplicates are refused."""
    if allow_text and isinstance(value, str):
        value = [value] if value.strip() else []
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise Invalid(field, f"{field} must be a list of column names.")
    found = [name(f"{field}[{i}]", item) for i, item in enumerate(value)]
    if len(set(found)) != len(found):
        raise Invalid(field, f"{field} names a column twice.")
    return found


def object_of(field: str, value: object) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(field, f"{field} must be a JSON object.")
    return value


def only(field: str, value: dict, allowed: tuple[str, ...]) -> None:
    for key in value:
        if key not in allowed:
            raise Invalid(
                f"{field}.{key}", f"'{key}' is not a setting here; use: {', '.join(allowed)}."
            )


def scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


# --- raw dlt options (allow-list) -----------------------------------------------------------


def _one_of(*choices: str) -> Callable[[str, object], object]:
    return lambda field, value: choice(field, value, choices)


def _between(lowest: int, highest: int) -> Callable[[str, object], object]:
    return lambda field, value: whole(field, value, lowest, highest)


def _column_hints(field: str, value: object) -> dict:
    hints = object_of(field, value)
    allowed = ("data_type", "nullable", "precision", "scale", "timezone")
    types = ("text", "bigint", "double", "bool", "timestamp", "date", "time", "decimal")
    types += ("json", "binary", "wei")
    for column, hint in hints.items():
        where = f"{field}.{name(field, column)}"
        hint = object_of(where, hint)
        only(where, hint, allowed)
        if "data_type" in hint:
            choice(f"{where}.data_type", hint["data_type"], types)
        for key in ("nullable", "timezone"):
            if key in hint:
                flag(f"{where}.{key}", hint[key])
        for key in ("precision", "scale"):
            if key in hint:
                whole(f"{where}.{key}", hint[key], 0, 1_000)
    return hints


ADVANCED_OPTIONS: dict[str, Callable[[str, object], object]] = {
    "backend": _one_of("sqlalchemy", "pyarrow", "pandas", "connectorx"),
    "loader_file_format": _one_of("jsonl", "parquet", "csv", "insert_values"),
    "reflection_level": _one_of("minimal", "full", "full_with_precision"),
    "naming_convention": _one_of("snake_case", "direct", "duck_case", "sql_cs_v1", "sql_ci_v1"),
    "extract_workers": _between(1, 16),
    "normalize_workers": _between(1, 16),
    "load_workers": _between(1, 64),
    "max_parallel_items": _between(1, 100),
    "file_max_items": _between(1_000, 100_000_000),
    "defer_table_reflect": flag,
    "table_name": lambda field, value: require_identifier(field, value, max_length=63),
    "columns": _column_hints,
}


def check_options(config: dict) -> dict:
    """The `options` of a config, each checked; an option not on the allow-list is refused."""
    options = dict(object_of("config.options", config.get("options")))
    for key, value in options.items():
        if key not in ADVANCED_OPTIONS:
            raise Invalid(
                f"config.options.{key}",
                f"'{key}' is not an allowed dlt option; use: {', '.join(ADVANCED_OPTIONS)}.",
            )
        options[key] = ADVANCED_OPTIONS[key](f"config.options.{key}", value)
    return options
