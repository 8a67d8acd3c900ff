import json

import pytest
from sqlalchemy import select

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import Connection, Pipeline
from etlfabric.services import connection_access, connections
from tests.factories import audit_rows, call, make_member, make_owned_org

SECRET = "canary-secret-5b1e"
PG = {"host": "127.0.0.1", "database": "shop", "username": "etl"}


async def audit_dump(principal) -> str:
    rows = await audit_rows(principal, "connection")
    return json.dumps([[r.action, r.old_values, r.new_values] for r in rows], default=str)


async def test_create_fills_defaults_and_keeps_credentials_encrypted(owner):
    conn = await call(
        connections.create,
        owner,
        name="Shop DB",
        type="postgres",
        config=PG,
        credentials={"password": SECRET},
    )
    view = connections.public_view(conn)
    assert view["config"] == {**PG, "port": 5432, "sslmode": "prefer"}
    assert (view["direction"], view["is_managed"]) == ("both", False)
    assert view["credentials_set"] == {"password": True}
    assert SECRET not in json.dumps(view, default=str)
    assert SECRET not in conn.credentials_secret
    assert connection_access.connection_credentials(conn) == {"password": SECRET}
    dump = await audit_dump(owner)
    assert "connection.create" in dump and "auth_fields_set" in dump and SECRET not in dump


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("postgres", {**PG, "host": ""}, "config.host"),
        ("postgres", {**PG, "port": 70000}, "config.port"),
        ("postgres", {**PG, "sslmode": "maybe"}, "config.sslmode"),
        ("postgres", {**PG, "colour": "red"}, "config.colour"),
        ("mysql", {"host": "db", "database": "x"}, "config.username"),
        ("oracle", {"host": "db", "username": "x"}, "config.service_name"),
        ("sqlite", {"path": "../other/x.sqlite"}, "config.path"),
        ("sqlite", {"path": "/etc/x.sqlite"}, "config.path"),
        ("sqlite", {"path": "notes.txt"}, "config.path"),
        ("files", {"format": "xlsx"}, "config.format"),
        ("rest_api", {"base_url": "ftp://x"}, "config.base_url"),
        ("rest_api", {"base_url": "http://x", "auth": "bearer"}, "credentials.token"),
        ("rest_api", {"base_url": "http://x", "auth": "basic"}, "config.username"),
        ("rest_api", {"base_url": "http://x", "headers": {"Authorization": "x"}}, None),
        ("rest_api", {"base_url": "http://x", "pagination": {"type": "scroll"}}, None),
        ("odata", {}, "config.service_url"),
    ],
)
async def test_bad_config_names_the_field(owner, kind, config, field):
    with pytest.raises(Invalid) as caught:
        await call(connections.create, owner, name="bad", type=kind, config=config)
    expected = (
        field
        or {
            "headers": "config.headers.Authorization",
            "pagination": "config.pagination.type",
        }[next(k for k in ("headers", "pagination") if k in config)]
    )
    assert caught.value.field == expected
    assert await call(connections.list_connections, owner, type=kind) == []


async def test_type_direction_and_name_rules(owner):
    for kind, direction, field in [
        ("ftp", None, "type"),
        ("warehouse", None, "type"),
        ("mysql", "destination", "direction"),
        ("files", "both", "direction"),
        ("postgres", "sideways", "direction"),
    ]:
        with pytest.raises(Invalid) as caught:
            await call(
                connections.create, owner, name="x", type=kind, direction=direction, config=PG
            )
        assert caught.value.field == field
    made = await call(
        connections.create, owner, name="Files", type="files", config={"format": "jsonl"}
    )
    assert (made.direction.value, made.config) == ("source", {"format": "jsonl", "glob": "*.jsonl"})
    with pytest.raises(Invalid) as caught:
        await call(connections.create, owner, name="files", type="files")
    assert caught.value.field == "name" and "already exists" in caught.value.message


async def test_update_merges_config_and_credentials_and_audits_names_only(owner):
    conn = await call(
        connections.create, owner, name="api", type="rest_api",
        config={"base_url": "http://x", "auth": "bearer"}, credentials={"token": SECRET},
    )  # fmt: skip
    assert connections.credentials_set(conn) == {
        "token": True,
        "password": False,
        "api_key": False,
    }
    changed = await call(
        connections.update, owner, connection_id=conn.id,
        config={"timeout_seconds": 5}, credentials={"token": ""},
    )  # fmt: skip
    assert changed.config["timeout_seconds"] == 5 and changed.config["auth"] == "bearer"
    assert connection_access.connection_credentials(changed) == {"token": SECRET}, "'' keeps"
    with pytest.raises(Invalid) as caught:
        await call(connections.update, owner, connection_id=conn.id, credentials={"token": None})
    assert caught.value.field == "credentials.token", "bearer auth still needs its token"
    other = "second-canary-77"
    await call(
        connections.update, owner, connection_id=conn.id,
        config={"auth": "api_key"}, credentials={"token": None, "api_key": other},
    )  # fmt: skip
    reread = await call(connections.get, owner, connection_id=conn.id)
    assert connection_access.connection_credentials(reread) == {"api_key": other}
    assert reread.config["api_key_header"] == "X-API-Key"
    assert connection_access.http_headers(reread) == {"X-API-Key": other}
    with pytest.raises(Invalid) as caught:
        await call(connections.update, owner, connection_id=conn.id, type="postgres")
    assert caught.value.field == "type"
    dump = await audit_dump(owner)
    assert "auth_fields_changed" in dump and SECRET not in dump and other not in dump


async def test_warehouse_is_created_at_provisioning_and_protected(owner):
    rows = await call(connections.list_connections, owner)
    assert [(c.name, c.type, c.is_managed, c.direction.value) for c in rows] == [
        ("Warehouse", "warehouse", True, "both")
    ]
    warehouse = rows[0]
    async with tenant_session(owner.org_id) as session:
        assert await connections.ensure_warehouse(session, owner.org_id) == warehouse.id
        org = await connections.organization(session, owner.org_id)
    url = connection_access.sqlalchemy_url(warehouse, org)
    assert url.username.endswith(f"_t{owner.org_id}_workload") and url.password
    assert warehouse.credentials_secret is None, "the workload secret is not stored twice"
    with pytest.raises(Conflict):
        await call(connections.delete, owner, connection_id=warehouse.id)
    with pytest.raises(Invalid):
        await call(connections.update, owner, connection_id=warehouse.id, config={"x": 1})
    renamed = await call(connections.update, owner, connection_id=warehouse.id, name="DWH")
    assert renamed.name == "DWH"


async def test_ensure_warehouse_creates_it_once_for_older_organisations(owner):
    async with tenant_session(owner.org_id) as session:
        await session.execute(Connection.__table__.delete())
        await session.flush()
        first = await connections.ensure_warehouse(session, owner.org_id)
        second = await connections.ensure_warehouse(session, owner.org_id)
        count = len(list(await session.scalars(select(Connection.id))))
    assert first == second and count == 1


async def test_delete_is_soft_frees_the_name_and_is_refused_while_a_pipeline_uses_it(owner):
    conn = await call(connections.create, owner, name="src", type="postgres", config=PG)
    warehouse = (await call(connections.list_connections, owner, type="warehouse"))[0]
    async with tenant_session(owner.org_id) as session:
        session.add(
            Pipeline(
                name="Nightly orders",
                source_connection_id=conn.id,
                destination_connection_id=warehouse.id,
                dataset_name="raw",
                mode="table",
            )
        )
    with pytest.raises(Conflict) as caught:
        await call(connections.delete, owner, connection_id=conn.id)
    assert "'Nightly orders'" in caught.value.message
    async with tenant_session(owner.org_id) as session:
        await session.execute(Pipeline.__table__.delete())
    await call(connections.delete, owner, connection_id=conn.id)
    with pytest.raises(NotFound):
        await call(connections.get, owner, connection_id=conn.id)
    again = await call(connections.create, owner, name="src", type="postgres", config=PG)
    assert again.id != conn.id


async def test_other_tenants_get_not_found_and_viewers_cannot_write(owner):
    conn = await call(connections.create, owner, name="mine", type="postgres", config=PG)
    _, _, stranger = await make_owned_org()
    for function in (connections.get, connections.delete):
        with pytest.raises(NotFound):
            await call(function, stranger, connection_id=conn.id)
    with pytest.raises(NotFound):
        await call(connections.update, stranger, connection_id=conn.id, name="theirs")
    org = type("Org", (), {"id": owner.org_id})
    _, viewer = await make_member(org, "viewer")
    assert [c.name for c in await call(connections.list_connections, viewer, type="postgres")] == [
        "mine"
    ]
    with pytest.raises(PermissionDenied):
        await call(connections.create, viewer, name="v", type="postgres", config=PG)
    with pytest.raises(PermissionDenied):
        await call(connections.delete, viewer, connection_id=conn.id)


async def test_urls_are_built_without_formatting_the_password(owner, tmp_path):
    tricky = "p@ss:w/rd?#%"
    conn = await call(
        connections.create, owner, name="my", type="mysql",
        config={"host": "db.example", "database": "shop", "username": "etl"},
        credentials={"password": tricky},
    )  # fmt: skip
    async with tenant_session(owner.org_id) as session:
        org = await connections.organization(session, owner.org_id)
    url = connection_access.sqlalchemy_url(conn, org)
    assert (url.drivername, url.password, url.port) == ("mysql+pymysql", tricky, 3306)
    rendered = connection_access.dlt_credentials(conn, org)
    assert tricky not in rendered and "p%40ss" in rendered
    assert tricky not in repr(url)
    with pytest.raises(Invalid):
        connection_access.resolve_file(owner.org_id, "../../secrets.json")
    inside = connection_access.resolve_file(owner.org_id, "sub/a.csv")
    assert inside.is_relative_to(connection_access.files_dir(owner.org_id))


async def test_a_draft_is_checked_like_create_keeps_stored_secrets_and_writes_nothing(owner):
    saved = await call(
        connections.create,
        owner,
        name="Shop",
        type="postgres",
        config=PG,
        credentials={"password": SECRET},
    )
    draft = await call(
        connections.draft,
        owner,
        type="postgres",
        config={**PG, "port": "6543"},
        credentials={"password": ""},
        connection_id=saved.id,
    )
    assert draft.id is None and draft.config["port"] == 6543
    assert connection_access.connection_credentials(draft) == {"password": SECRET}
    with pytest.raises(Invalid) as refused:
        await call(connections.draft, owner, type="postgres", config={**PG, "host": ""})
    assert refused.value.field == "config.host"
    async with tenant_session(owner.org_id) as session:
        names = set(await session.scalars(select(Connection.name)))
    assert "(draft)" not in names and "connection.create" in await audit_dump(owner)
    assert "draft" not in await audit_dump(owner)
    _, viewer = await make_member(type("Org", (), {"id": owner.org_id}), "viewer")
    with pytest.raises(PermissionDenied):
        await call(connections.draft, viewer, type="postgres", config=PG)
