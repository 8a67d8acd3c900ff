"""dlt pipelines: source connection to destination connection (tenant schema)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key


class Pipeline(Timestamps, TenantBase):
    __tablename__ = "pipelines"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    folder_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("folders.id", ondelete="SET NULL")
    )
    source_connection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("connections.id", ondelete="RESTRICT")
    )
    destination_connection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("connections.id", ondelete="RESTRICT")
    )
    dataset_name: Mapped[str] = mapped_column(String(63))
    mode: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    write_disposition: Mapped[str] = mapped_column(
        String(16), default="append", server_default="append"
    )
    primary_key: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    schema_contract: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    filters: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    batch_size: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
    # Column names left out of data previews and exports (e.g. personal data).
    sensitive_columns: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
