"""What the seeds panel shows of a CSV and how it reads an uploaded file: the header's columns,
the row count, the size, and a seed name from the file name. Pure functions, no Reflex."""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePosixPath

from etlfabric.errors import Invalid
from etlfabric.services import transformation_checks as checks
from etlfabric.services.dbt_project import MAX_SEED_BYTES


def size_text(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def csv_shape(text: str) -> tuple[list[str], int]:
    """(header columns, data rows): what dbt seed will create and load."""
    records = [row for row in csv.reader(io.StringIO(text)) if row]
    return (records[0] if records else []), max(len(records) - 1, 0)


def seed_row(seed) -> dict[str, str]:
    columns, rows = csv_shape(seed.csv)
    return {
        "id": str(seed.id),
        "name": seed.name,
        "schema": seed.schema_name,
        "columns": ", ".join(columns),
        "rows": f"{rows:,}",
        "size": size_text(len(seed.csv.encode())),
        "description": seed.description or "",
    }


def seed_name(filename: str) -> str:
    """'Country Codes.csv' → 'country_codes': a valid dbt name the user can still change."""
    stem = PurePosixPath(filename.replace("\\", "/")).stem.lower()
    name = re.sub(r"[^a-z0-9_]+", "_", stem).strip("_")[:63]
    return name if re.match(r"[a-z_]", name) else f"seed_{name}"[:63].rstrip("_")


def read_csv(filename: str, data: bytes) -> str:
    """The uploaded file's text, or Invalid("file", ...) saying what is wrong with it."""
    if not filename.lower().endswith(".csv"):
        raise Invalid("file", f"{filename} is not a CSV file: upload a .csv file.")
    if len(data) > MAX_SEED_BYTES:
        raise Invalid(
            "file",
            f"{filename} is {size_text(len(data))}; a seed is at most 5 MB "
            "(load bigger files with a pipeline).",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file", f"{filename} is not UTF-8 text; save it as UTF-8 CSV.") from None
    columns, _ = csv_shape(text)
    if not columns:
        raise Invalid("file", f"{filename} is empty: a seed needs a header row.")
    for column in columns:
        try:
            checks.check_column("file", column)
        except Invalid as exc:
            raise Invalid("file", f"{filename}, header: {exc.message}") from None
    twice = sorted({c for c in columns if [x.lower() for x in columns].count(c.lower()) > 1})
    if twice:
        raise Invalid("file", f"{filename}, header: column '{twice[0]}' appears twice.")
    return text
