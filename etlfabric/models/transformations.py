"""dbt models in the organisation's dbt project (tenant schema)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key


class Transformation(Timestamps, TenantBase):
    __tablename__ = "transformations"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    folder_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("folders.id", ondelete="SET NULL")
    )
    sql: Mapped[str] = mapped_column(Text, default="", server_default="")
    schema_name: Mapped[str] = mapped_column(String(63))
    materialization: Mapped[str] = mapped_column(String(16), default="view", server_default="view")
    unique_key: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    columns: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    tests: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")


class DbtSource(Timestamps, TenantBase):
    """One table of a dbt source: a table a pipeline loaded into a data schema, with freshness."""

    __tablename__ = "dbt_sources"
    __table_args__ = (UniqueConstraint("source_name", "table_name"),)

    id: Mapped[int] = identity_key()
    source_name: Mapped[str] = mapped_column(String(63))  # {{ source('<source_name>', ...) }}
    schema_name: Mapped[str] = mapped_column(String(63))  # a data schema's short name
    table_name: Mapped[str] = mapped_column(String(63))
    pipeline_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pipelines.id", ondelete="SET NULL")
    )
    loaded_at_field: Mapped[str | None] = mapped_column(String(200))
    warn_after: Mapped[dict | None] = mapped_column(JSONB)  # {"count": 12, "period": "hour"}
    error_after: Mapped[dict | None] = mapped_column(JSONB)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class DbtSeed(Timestamps, TenantBase):
    """A CSV file of the project (seeds/<name>.csv), loaded into a data schema by `dbt seed`."""

    __tablename__ = "dbt_seeds"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    schema_name: Mapped[str] = mapped_column(String(63))
    csv: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class DbtSnapshot(Timestamps, TenantBase):
    """A dbt snapshot (type-2 history of a query), strategy timestamp or check."""

    __tablename__ = "dbt_snapshots"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    schema_name: Mapped[str] = mapped_column(String(63))
    sql: Mapped[str] = mapped_column(Text, default="", server_default="")
    strategy: Mapped[str] = mapped_column(String(16), default="timestamp")
    unique_key: Mapped[str] = mapped_column(String(200))
    updated_at_column: Mapped[str | None] = mapped_column(String(200))  # timestamp strategy
    check_cols: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
