"""The fast load of SQL tables into PostgreSQL (runs in the child): the Arrow tables the extract
step writes as Parquet are loaded as they are, by dlt's own ADBC job (a binary COPY), instead of
being rewritten as CSV by the normalize step (1M rows: ~1.5 s of pyarrow's CSV writer, the
largest single cost of a run).

dlt's ADBC job sends each Arrow column as the binary form of its own type, so an int32 column
cannot go into a bigint one: a map casts integers, floats, dates and timestamps to the types dlt
declares for the table (the ones its columns were created with). Taken only where dlt's ADBC job
is known to work, everything else goes the CSV way as before:
- integer, float, decimal, text, bool, date and timestamp columns only (no json: ADBC cannot
  write jsonb; no time, binary, wei), each of an Arrow type that converts to its column's;
- append or merge: replace truncates a table with a Parquet file without rows, which the ADBC
  job refuses as a transient error (the package stays pending; every later run fails on it);
- a table switches to Parquet once a row arrived, so an empty table is still created, by COPY.
"""

from __future__ import annotations

from importlib.util import find_spec

import dlt
import pyarrow as pa

DISPOSITIONS = ("append", "merge")
FALLBACK = "csv"


def wanted(spec: dict) -> bool:
    """The run may take the fast load: a SQL source, append or merge, and no file format pinned
    but Parquet (which then goes this way too: dlt's ADBC job alone fails on what is above)."""
    return (
        spec["source"]["kind"] == "sql"
        and spec["write_disposition"] in DISPOSITIONS
        and not spec.get("full_refresh")
        and spec["options"].get("loader_file_format") in (None, "parquet")
        and find_spec("adbc_driver_postgresql") is not None
    )


def base_format(spec: dict) -> str | None:
    """The run's loader_file_format: CSV under the fast load (tables switch to Parquet as they
    qualify), else the spec's."""
    return FALLBACK if wanted(spec) else spec.get("loader_file_format")


def prepare(resources: list, spec: dict, schema=None) -> None:
    """Adds the fast load step to each resource when the run may take it. `schema` is the
    pipeline's dlt schema (the columns as the destination has them), if any."""
    if not wanted(spec):
        return
    for resource in resources:
        columns = resource.columns if isinstance(resource.columns, dict) else {}
        known = {**columns, **_stored_columns(schema, resource)}
        resource.add_map(FastLoadStep(known))


def _stored_columns(schema, resource) -> dict[str, dict]:
    """{column: schema} of the resource's table as the pipeline loaded it, if it did."""
    if schema is None:
        return {}
    table = schema.tables.get(schema.naming.normalize_table_identifier(str(resource.table_name)))
    return dict((table or {}).get("columns") or {})


def target_types(schema: pa.Schema, known: dict[str, dict]) -> dict[str, pa.DataType] | None:
    """{column: Arrow type} to send each column as, or None when a column is not safe to send.
    A column's dlt type is the one known (hints, stored schema) or else the one dlt infers."""
    from dlt.common.libs.pyarrow import get_column_type_from_py_arrow

    targets = {}
    for field in schema:
        if pa.types.is_null(field.type) or pa.types.is_dictionary(field.type):
            return None
        column = known.get(field.name) or {}
        if not column.get("data_type"):
            try:
                column = get_column_type_from_py_arrow(field.type)
            except Exception:  # dlt's UnsupportedArrowTypeException: dlt will say it better
                return None
        target = _arrow_type(column, field.type)
        if target is None:
            return None
        targets[field.name] = target
    return targets


def _arrow_type(column: dict, current: pa.DataType) -> pa.DataType | None:
    """The Arrow type the destination column takes, if `current` converts to it without loss."""
    data_type, types = column.get("data_type"), pa.types
    if data_type == "bigint" and types.is_integer(current):
        return _integer(column.get("precision"))
    if data_type == "timestamp" and types.is_timestamp(current):
        return pa.timestamp("us", tz=current.tz)
    if data_type == "double" and types.is_floating(current):
        return pa.float64()
    if data_type == "date" and types.is_date(current):
        return pa.date32()
    if data_type == "bool" and types.is_boolean(current):
        return current
    if data_type == "text" and (types.is_string(current) or types.is_large_string(current)):
        return current  # text and numeric travel in one binary form whatever their size
    if data_type == "decimal" and types.is_decimal(current):
        return current
    return None


def _integer(bits: int | None) -> pa.DataType:
    """PostgreSQL's integer for dlt's precision (smallint, integer or bigint, as dlt creates)."""
    if bits is not None and bits <= 16:
        return pa.int16()
    if bits is not None and bits <= 32:
        return pa.int32()
    return pa.int64()


class FastLoadStep:
    """Casts an Arrow table's columns to the types the destination has; once a row arrived,
    switches the table to Parquet (an empty table goes as CSV: the ADBC job refuses it). A table
    with a column that is not safe to send stays CSV."""

    def __init__(self, known: dict[str, dict]):
        self.known = known
        self.targets: dict[str, pa.DataType] | None = None
        self.decided = self.switched = False

    def __call__(self, item):
        if not isinstance(item, pa.Table):
            return item
        if not self.decided:
            self.targets, self.decided = target_types(item.schema, self.known), True
        if self.targets is None:
            return item
        for index, field in enumerate(item.schema):
            want = self.targets.get(field.name)
            if want is not None and field.type != want:
                item = item.set_column(index, field.with_type(want), item.column(index).cast(want))
        if item.num_rows and not self.switched:
            self.switched = True
            return dlt.mark.with_hints(item, dlt.mark.make_hints(file_format="parquet"))
        return item
