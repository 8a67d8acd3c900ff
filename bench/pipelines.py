"""1,000,000 rows PostgreSQL → the organisation's Warehouse (single table, append), issue #6.

Printed beside, in the same run: `INSERT … SELECT` of the same rows, a `psql COPY … TO STDOUT |
psql COPY … FROM STDIN` pipe, and the same dlt pipeline (sql_table with the connectorx backend,
streamed; Parquet loaded by dlt's ADBC job, a binary COPY, as the platform's fast load does for
this table) run by a bare script as the same workload role. Targets: ≥ 1/4 of the COPY pipe's
rows/s, and at most 10 % over the bare script.

    uv run python -m bench.pipelines [rows]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from bench import harness

ROWS = 1_000_000
ROUNDS = int(os.environ.get("ROUNDS", "2"))


def _dsn(database: str) -> str:
    from sqlalchemy import make_url

    from tests import environment

    url = make_url(environment.SERVER_URL).set(database=database)
    return url.render_as_string(hide_password=False)


def psql(database: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", _dsn(database), "-c", sql], check=True
    )


def make_source(name: str, rows: int) -> None:
    psql("postgres", f"DROP DATABASE IF EXISTS {name}")
    psql("postgres", f"CREATE DATABASE {name}")
    psql(
        name,
        "CREATE TABLE events (id bigint PRIMARY KEY, name text, amount numeric(12,2), "
        "created_at timestamptz); INSERT INTO events SELECT g, 'event ' || g, g * 0.01, "
        f"now() - g * interval '1 second' FROM generate_series(1, {rows}) g; ANALYZE events",
    )


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def insert_select(source: str) -> float:
    psql(source, "DROP TABLE IF EXISTS events_copy; CREATE TABLE events_copy (LIKE events)")
    return timed(lambda: psql(source, "INSERT INTO events_copy SELECT * FROM events"))


def copy_pipe(source: str, target: str) -> float:
    psql(
        target,
        "DROP TABLE IF EXISTS public.events_pipe; CREATE TABLE public.events_pipe "
        "(id bigint, name text, amount numeric(12,2), created_at timestamptz)",
    )
    command = (
        f"psql -X -q '{_dsn(source)}' -c '\\copy events TO STDOUT' | "
        f"psql -X -q '{_dsn(target)}' -c '\\copy public.events_pipe FROM STDIN'"
    )
    return timed(lambda: subprocess.run(command, shell=True, check=True))


BARE = textwrap.dedent(
    """
    import sys, dlt
    from dlt.sources.sql_database import sql_table
    source, destination, dataset, folder = sys.argv[1:5]
    table = sql_table(credentials=source, table="events", backend="connectorx", chunk_size=50000,
        backend_kwargs={"return_type": "arrow_stream"})
    pipeline = dlt.pipeline(pipeline_name="bare", pipelines_dir=folder,
        destination=dlt.destinations.postgres(credentials=destination), dataset_name=dataset)
    pipeline.run(table, write_disposition="append", loader_file_format="parquet")
    """
)


def bare_dlt(source_url: str, destination_url: str, dataset: str) -> float:
    folder = tempfile.mkdtemp(prefix="etf-bare-")
    script = os.path.join(folder, "bare.py")
    with open(script, "w") as handle:
        handle.write(BARE)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": folder,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": folder,
        "RUNTIME__LOG_LEVEL": "WARNING",
        "DATA_WRITER__DISABLE_COMPRESSION": "true",
        "LOAD__DELETE_COMPLETED_JOBS": "true",
    }
    argv = [sys.executable, script, source_url, destination_url, dataset, folder]
    return timed(lambda: subprocess.run(argv, check=True, env=env, cwd=folder))


async def make_pipeline(source_db: str):
    from etlfabric.db import sync_tenant_session
    from etlfabric.models import Organization
    from etlfabric.services import connection_access
    from tests.factories import make_owned_org
    from tests.pipeline_factories import make_connection, warehouse
    from tests.pipeline_factories import make_pipeline as new_pipeline

    _, _, owner = await make_owned_org()
    source = await make_connection(
        owner.org_id,
        type="postgres",
        config={
            "host": "127.0.0.1",
            "port": 5432,
            "database": source_db,
            "username": "postgres",
            "sslmode": "disable",
        },
        credentials={"password": "bench"},
    )
    wh = await warehouse(owner.org_id)
    pipeline = await new_pipeline(owner, source, wh, config={"table": "events"})
    csv_way = {"table": "events", "options": {"loader_file_format": "csv"}}
    pinned = await new_pipeline(owner, source, wh, dataset_name="marts", config=csv_way)
    with sync_tenant_session(owner.org_id) as session:
        org = session.get(Organization, owner.org_id)
        urls = (
            connection_access.dlt_credentials(source, org),
            connection_access.dlt_credentials(wh, org, destination=True),
        )
    return owner, (pipeline, pinned), urls


def main(argv: list[str]) -> None:
    rows = int(argv[0]) if argv else ROWS
    from tests import environment

    with harness.platform():
        source = f"etf_bench_src_{os.getpid()}"
        make_source(source, rows)
        try:
            owner, pipelines, (source_url, destination_url) = asyncio.run(make_pipeline(source))
            from etlfabric.services import tenancy
            from tests.pipeline_runs import execute

            results: dict[str, list[float]] = {"platform": [], "bare": [], "csv": []}
            staging = tenancy.data_schema(owner.org_id, "staging")
            for _ in range(ROUNDS):
                results["bare"].append(bare_dlt(source_url, destination_url, staging))
                for name, pipeline in zip(("platform", "csv"), pipelines, strict=True):
                    started = time.perf_counter()
                    run, texts = execute(owner.org_id, pipeline)
                    results[name].append(time.perf_counter() - started)
                    assert run.status.value == "succeeded" and run.rows_loaded == rows, (
                        run.error,
                        texts,
                    )
                    if name == "platform":
                        progress = texts
            insert = insert_select(source)
            pipe = copy_pipe(source, environment.database_name)
        finally:
            psql("postgres", f"DROP DATABASE IF EXISTS {source} WITH (FORCE)")
    best = {name: min(values) for name, values in results.items()}
    print(f"{rows:,} rows PostgreSQL → Warehouse (append), best of {ROUNDS}")
    for name, seconds in [
        ("INSERT … SELECT", insert),
        ("psql COPY pipe", pipe),
        ("bare dlt script", best["bare"]),
        ("platform run", best["platform"]),
        ("platform CSV way", best["csv"]),
    ]:
        print(f"  {name:<16} {seconds:6.2f} s  {rows / seconds:>12,.0f} rows/s")
    print(f"  platform vs COPY pipe: {pipe / best['platform']:.2f} of its rows/s (target ≥ 0.25)")
    print(
        f"  platform vs bare dlt: {100 * (best['platform'] / best['bare'] - 1):+.1f} % "
        "(target ≤ +10 %)"
    )
    print(f"  CSV way pinned: ×{best['csv'] / best['platform']:.2f} the fast load's time")
    print(f"  all samples: {results}")
    print("  last platform run's progress: " + " | ".join(t for t in progress if ":" in t[:10]))


if __name__ == "__main__":
    main(sys.argv[1:])
