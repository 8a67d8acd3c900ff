import psycopg2
import pytest
from sqlalchemy import func, make_url, select, text

from etlfabric import db
from etlfabric.crypto import decrypt
from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.migrations import current_revision, head
from etlfabric.models import Membership, Organization, Script
from etlfabric.services import organizations, tenancy
from tests.factories import make_org, make_user


def workload_connect(org):
    """Connect as the organisation's workload role, the way dlt, dbt and scripts will."""
    url = make_url(db.get_settings().database_url)
    connection = psycopg2.connect(
        host=url.host,
        port=url.port,
        dbname=url.database,
        user=tenancy.workload_role(org.id),
        password=decrypt(org.workload_secret),
    )
    connection.autocommit = True
    return connection


async def catalog(sql: str, **params):
    async with platform_session() as session:
        return (await session.execute(text(sql), params)).all()


async def test_provisioning_creates_schema_tables_roles_and_owner():
    owner = await make_user()
    org = await make_org(name="Acme Data", owner=owner)
    assert org.slug == "acme-data"
    tables = await catalog(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s",
        s=f"tenant_{org.id}",
    )
    assert {"scripts", "runs", "run_logs", "audit_log", "schedules", "pipelines"} <= {
        name for (name,) in tables
    }
    roles = await catalog(
        "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN (:o, :w)",
        o=tenancy.owner_role(org.id),
        w=tenancy.workload_role(org.id),
    )
    assert dict(roles) == {tenancy.owner_role(org.id): False, tenancy.workload_role(org.id): True}
    async with platform_session() as session:
        assert await organizations.data_schemas(session=session, org_id=org.id) == [
            "marts",
            "raw",
            "staging",
        ]
        revision = await session.run_sync(
            lambda s: current_revision(s.connection(), "tenant", f"tenant_{org.id}")
        )
        membership = await session.scalar(select(Membership).where(Membership.org_id == org.id))
    assert revision == head("tenant")
    assert (membership.user_id, membership.role) == (owner.id, "owner")


async def test_slug_is_unique():
    first, second = await make_org(name="Same Name"), await make_org(name="Same Name")
    assert (first.slug, second.slug) == ("same-name", "same-name-2")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"name": "  "}, "name"), ({"name": "Ok", "timezone": "Mars/Base"}, "timezone")],
)
async def test_bad_input_names_the_field_and_changes_nothing(kwargs, field):
    before = await catalog("SELECT count(*) FROM public.organizations")
    with pytest.raises(Invalid) as caught:
        async with platform_session() as session:
            await organizations.create_organization(session=session, **kwargs)
    assert caught.value.field == field
    assert await catalog("SELECT count(*) FROM public.organizations") == before


async def test_failure_mid_provisioning_leaves_nothing(monkeypatch):
    def explode(connection, org_id, name):
        raise RuntimeError("disk full")

    schemas_before = await catalog("SELECT count(*) FROM pg_namespace")
    roles_before = await catalog("SELECT count(*) FROM pg_roles")
    monkeypatch.setattr(tenancy, "create_data_schema", explode)
    with pytest.raises(RuntimeError):
        async with platform_session() as session:
            await organizations.create_organization(session=session, name="Doomed")
    async with platform_session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Organization).where(Organization.name == "Doomed")
        )
    assert count == 0
    assert await catalog("SELECT count(*) FROM pg_namespace") == schemas_before
    assert await catalog("SELECT count(*) FROM pg_roles") == roles_before


async def test_workload_role_stops_at_its_own_data_schemas():
    org_a, org_b = await make_org(), await make_org()
    with workload_connect(org_b) as conn_b, conn_b.cursor() as cursor:
        cursor.execute(f"CREATE TABLE t{org_b.id}_raw.secret_orders (id int)")
    conn = workload_connect(org_a)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE TABLE t{org_a.id}_raw.orders AS SELECT 1 AS id")
        cursor.execute(f"SELECT count(*) FROM t{org_a.id}_raw.orders")
        assert cursor.fetchone() == (1,)
        forbidden = [
            f"SELECT * FROM t{org_b.id}_raw.secret_orders",
            f"CREATE TABLE t{org_b.id}_staging.intruder (id int)",
            f"SELECT * FROM tenant_{org_b.id}.scripts",
            f"SELECT * FROM tenant_{org_a.id}.scripts",
            "SELECT * FROM public.users",
            "SELECT * FROM public.organizations",
            "CREATE TABLE public.intruder (id int)",
        ]
        for statement in forbidden:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
                cursor.execute(statement)
    conn.close()


async def test_disable_keeps_data_and_blocks_access_then_enable_restores():
    org = await make_org()
    async with tenant_session(org.id) as session:
        session.add(Script(name="keep me", safe_name="keep-me", type="python"))
    async with platform_session() as session:
        await organizations.disable_organization(session=session, org_id=org.id)
    with pytest.raises(NotFound):
        async with tenant_session(org.id):
            pass
    with pytest.raises(psycopg2.OperationalError, match="not permitted to log in"):
        workload_connect(org)
    async with platform_session() as session:
        await organizations.enable_organization(session=session, org_id=org.id)
    async with tenant_session(org.id) as session:
        assert (await session.scalars(select(Script.name))).all() == ["keep me"]
    workload_connect(org).close()


async def test_purge_drops_schemas_and_roles():
    org = await make_org()
    async with platform_session() as session:
        with pytest.raises(Conflict):
            await organizations.purge_organization(session=session, org_id=org.id)
    async with platform_session() as session:
        await organizations.disable_organization(session=session, org_id=org.id)
    async with platform_session() as session:
        await organizations.purge_organization(session=session, org_id=org.id)
    assert (
        await catalog(
            "SELECT nspname FROM pg_namespace WHERE nspname IN (:a, :b)",
            a=f"tenant_{org.id}",
            b=f"t{org.id}_raw",
        )
        == []
    )
    assert (
        await catalog("SELECT rolname FROM pg_roles WHERE rolname LIKE :p", p=f"%_t{org.id}_%")
        == []
    )
    async with platform_session() as session:
        assert await session.get(Organization, org.id) is None


async def test_add_data_schema_validates_the_name():
    org = await make_org()
    async with platform_session() as session:
        with pytest.raises(Invalid) as caught:
            await organizations.add_data_schema(session=session, org_id=org.id, name="Bad-Name")
        assert caught.value.field == "name"
        await organizations.add_data_schema(session=session, org_id=org.id, name="sandbox")
        assert "sandbox" in await organizations.data_schemas(session=session, org_id=org.id)
