"""Schema migrations: the platform schema, then every tenant schema.

Alembic runs on a connection we hand it, already inside a transaction, so provisioning can create
an organisation's row, schema, roles and tables in one transaction. Each tenant schema keeps its own
`alembic_version`; a tenant's failed upgrade is rolled back and reported; the rest go on.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from etlfabric.db import sync_engine, tenant_schema

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"
TARGETS = ("platform", "tenant")


def alembic_config(target: str, *, connection=None, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR / target))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes.update(connection=connection, tenant_schema=schema)
    return config


def _skip_version_table(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name == "alembic_version")


def _configure(context, target: str, connection: Connection, schema: str | None) -> None:
    from etlfabric import models

    if target == "tenant":
        # Transaction-local, so a pooled connection goes back with its own search_path.
        connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
        connection = connection.execution_options(schema_translate_map={None: schema})
        metadata, version_schema = models.TenantBase.metadata, schema
    else:
        metadata, version_schema = models.PlatformBase.metadata, "public"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=version_schema,
        include_name=_skip_version_table,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_environment(target: str) -> None:
    """Entry point of alembic/<target>/env.py."""
    from alembic import context

    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; run against a database")
    attributes = context.config.attributes
    connection, schema = attributes.get("connection"), attributes.get("tenant_schema")
    if target == "tenant" and not schema:
        raise SystemExit("tenant migrations need a tenant schema")
    if connection is not None:
        _configure(context, target, connection, schema)
        return
    with sync_engine().begin() as own_connection:
        _configure(context, target, own_connection, schema)


def head(target: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(target)).get_current_head()


def current_revision(connection: Connection, target: str, schema: str | None = None) -> str | None:
    version_schema = schema if target == "tenant" else "public"
    context = MigrationContext.configure(connection, opts={"version_table_schema": version_schema})
    return context.get_current_revision()


def upgrade_platform(connection: Connection) -> None:
    command.upgrade(alembic_config("platform", connection=connection), "head")


def upgrade_tenant(connection: Connection, schema: str) -> None:
    connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    command.upgrade(alembic_config("tenant", connection=connection, schema=schema), "head")


@dataclass
class MigrationReport:
    upgraded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def tenant_schemas(connection: Connection) -> list[str]:
    """Schemas of every organisation, disabled ones included (their data is kept)."""
    rows = connection.execute(
        text(
            "SELECT o.id FROM public.organizations o JOIN pg_namespace n "
            "ON n.nspname = 'tenant_' || o.id ORDER BY o.id"
        )
    )
    return [tenant_schema(org_id) for (org_id,) in rows]


def migrate_all(engine: Engine | None = None) -> MigrationReport:
    """Upgrade the platform schema, then each tenant in its own transaction."""
    engine = engine or sync_engine()
    with engine.begin() as connection:
        upgrade_platform(connection)
    with engine.connect() as connection:
        schemas = tenant_schemas(connection)
    report = MigrationReport()
    for schema in schemas:
        try:
            with engine.begin() as connection:
                upgrade_tenant(connection, schema)
            report.upgraded.append(schema)
        except Exception as exc:  # reported at the end; the other tenants still upgrade
            report.failed[schema] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return report


def make_revision(target: str, message: str) -> None:
    """Autogenerate a revision against the development database (developer tool)."""
    engine = sync_engine()
    with engine.connect() as connection, connection.begin() as transaction:
        schema = "tenant_autogenerate" if target == "tenant" else None
        if target == "tenant":
            upgrade_tenant(connection, schema)
        else:
            upgrade_platform(connection)
        config = alembic_config(target, connection=connection, schema=schema)
        if head(target) is None:
            command.revision(config, message, autogenerate=True, head="base", branch_label=target)
        else:
            command.revision(config, message, autogenerate=True)
        transaction.rollback()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m etlfabric.migrations")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate a migration")
    revision.add_argument("target", choices=TARGETS)
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    make_revision(args.target, args.message)


if __name__ == "__main__":
    main()
