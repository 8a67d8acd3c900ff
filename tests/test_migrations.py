"""Upgrading existing tenants to a new head; one tenant's failure does not stop the others."""

import shutil
import textwrap

import pytest
from alembic import command
from sqlalchemy import text

from etlfabric import migrations
from etlfabric.db import sync_engine, tenant_schema
from tests.factories import make_org

NEW_REVISION = textwrap.dedent(
    '''
    """add run tags"""
    import sqlalchemy as sa
    from alembic import op

    revision = "testnewhead"
    down_revision = "{down}"
    branch_labels = None
    depends_on = None


    def upgrade():
        op.add_column("runs", sa.Column("tags", sa.Text(), nullable=True))


    def downgrade():
        op.drop_column("runs", "tags")
    '''
)


@pytest.fixture
def newer_alembic(tmp_path, monkeypatch):
    """A copy of alembic/ with one more tenant revision on top of the real head."""
    copy = tmp_path / "alembic"
    shutil.copytree(migrations.ALEMBIC_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    down = migrations.head("tenant")
    (copy / "tenant" / "versions" / "zz_testnewhead.py").write_text(NEW_REVISION.format(down=down))
    yield lambda: monkeypatch.setattr(migrations, "ALEMBIC_DIR", copy)
    monkeypatch.undo()
    # Put every tenant back on the real head so later tests see the schema they expect.
    engine = sync_engine()
    with engine.connect() as connection:
        schemas = migrations.tenant_schemas(connection)
    for schema in schemas:
        with engine.begin() as connection:
            if migrations.current_revision(connection, "tenant", schema) == "testnewhead":
                config = migrations.alembic_config("tenant", connection=connection, schema=schema)
                config.set_main_option("script_location", str(copy / "tenant"))
                command.downgrade(config, down)


def has_tags_column(schema: str) -> bool:
    with sync_engine().connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT 1 FROM information_schema.columns "
                    "WHERE table_schema = :s AND table_name = 'runs' AND column_name = 'tags'"
                ),
                {"s": schema},
            ).first()
        )


async def test_existing_tenants_upgrade_and_a_broken_one_is_reported(newer_alembic):
    healthy, broken = await make_org(), await make_org()
    old_head = migrations.head("tenant")
    newer_alembic()
    with sync_engine().begin() as connection:  # make the new revision fail for one tenant only
        connection.exec_driver_sql(f"ALTER TABLE {tenant_schema(broken.id)}.runs ADD tags int")

    report = migrations.migrate_all()

    assert tenant_schema(healthy.id) in report.upgraded
    assert list(report.failed) == [tenant_schema(broken.id)]
    assert "tags" in report.failed[tenant_schema(broken.id)]
    assert has_tags_column(tenant_schema(healthy.id))
    with sync_engine().connect() as connection:
        assert (
            migrations.current_revision(connection, "tenant", tenant_schema(healthy.id))
            == "testnewhead"
        )
        assert (
            migrations.current_revision(connection, "tenant", tenant_schema(broken.id)) == old_head
        ), "the failed tenant was rolled back, not left half-way"
    with sync_engine().begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {tenant_schema(broken.id)}.runs DROP tags")


async def test_a_new_tenant_is_created_at_the_new_head(newer_alembic):
    newer_alembic()
    org = await make_org()
    with sync_engine().connect() as connection:
        assert migrations.current_revision(connection, "tenant", tenant_schema(org.id)) == (
            "testnewhead"
        )
    assert has_tags_column(tenant_schema(org.id))


def test_platform_is_at_head():
    with sync_engine().connect() as connection:
        assert migrations.current_revision(connection, "platform") == migrations.head("platform")


def test_migrating_twice_changes_nothing():
    first, second = migrations.migrate_all(), migrations.migrate_all()
    assert first.ok and second.ok
    assert first.upgraded == second.upgraded
