"""The `etlfabric` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading

from etlfabric.config import get_settings, reset_settings
from etlfabric.errors import ConfigError, DomainError

DEFAULT_ADMIN_EMAIL = "admin@example.com"


def cmd_migrate(args: argparse.Namespace) -> int:
    from etlfabric.migrations import migrate_all

    report = migrate_all()
    print(f"platform schema at head; {len(report.upgraded)} tenant schema(s) at head")
    for schema, error in report.failed.items():
        print(f"FAILED {schema}: {error}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_create_admin(args: argparse.Namespace) -> int:
    from etlfabric.db import platform_session
    from etlfabric.services.users import ensure_admin

    async def create() -> tuple[str, str | None]:
        async with platform_session() as session:
            user, password = await ensure_admin(
                session=session, email=args.email, org_name=args.org_name
            )
            return user.email, password

    email, password = asyncio.run(create())
    if password is None:
        print(f"{email} already exists; its password was not changed.")
    else:
        print(f"Created administrator {email} with password: {password}")
        print("This password is shown once. Sign in and keep it somewhere safe.")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from etlfabric import worker_pools

    settings = get_settings()
    interactive = settings.interactive_concurrency if args.interactive is None else args.interactive
    return worker_pools.serve(
        queues=args.queues,
        concurrency=args.concurrency or settings.worker_concurrency,
        hostname=args.hostname,
        interactive=interactive,
        loglevel=settings.log_level,
    )


def cmd_scheduler(args: argparse.Namespace) -> int:
    from etlfabric.logs import configure_logging
    from etlfabric.orchestration import scheduler

    configure_logging("scheduler")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler.log.info("scheduler %s started (leader or standby)", scheduler.instance_id())
    scheduler.run(stop)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from etlfabric import web

    return web.serve()


def cmd_devstack(args: argparse.Namespace) -> int:
    from etlfabric import devstack

    data_dir = get_settings().data_dir
    if args.action == "up":
        info = devstack.up(data_dir)
        print(f"DATABASE_URL={info.database_url}\nREDIS_URL={info.redis_url}")
        print("started: " + (", ".join(info.started) or "nothing (already running)"))
    elif args.action == "down":
        stopped = devstack.down(data_dir)
        print("stopped: " + (", ".join(stopped) or "nothing"))
    else:
        print(json.dumps(devstack.status(data_dir), indent=2, default=str))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from etlfabric import run_command

    payload = json.loads(args.payload) if args.payload else None
    if payload is not None and not isinstance(payload, dict):
        raise SystemExit("etlfabric run: --payload must be a JSON object ({...})")
    return asyncio.run(
        run_command.main(
            kind=args.kind, name=args.name, org_slug=args.org, wait=args.wait, payload=payload
        )
    )


def cmd_up(args: argparse.Namespace) -> int:
    from etlfabric import launcher

    return launcher.up(admin_email=args.admin_email, with_web=not args.no_web)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etlfabric", description="ETL Fabric: scripts, dlt pipelines and dbt, multi-tenant."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = sub.add_parser("up", help="set everything up and run web + worker + scheduler")
    up.add_argument(
        "--admin-email",
        default=DEFAULT_ADMIN_EMAIL,
        help=f"e-mail of the first administrator (default {DEFAULT_ADMIN_EMAIL})",
    )
    up.add_argument("--no-web", action="store_true", help="run only worker and scheduler")
    up.set_defaults(func=cmd_up)
    sub.add_parser(
        "web", help="run the web app (Reflex, prod mode) with the REST API"
    ).set_defaults(func=cmd_web)
    worker = sub.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--concurrency", type=int, help="worker processes (WORKER_CONCURRENCY)")
    worker.add_argument("--queues", default="default", help="comma-separated queues to consume")
    worker.add_argument("--hostname", default="worker@%h", help="Celery node name")
    worker.add_argument(
        "--interactive",
        type=int,
        metavar="N",
        help="slots of the worker for dbt compile / preview / lineage started beside this one "
        "(INTERACTIVE_CONCURRENCY); 0: none",
    )
    worker.set_defaults(func=cmd_worker)
    sub.add_parser(
        "scheduler", help="run the scheduler (one leader, others stand by)"
    ).set_defaults(func=cmd_scheduler)
    sub.add_parser("migrate", help="upgrade the platform schema, then every tenant").set_defaults(
        func=cmd_migrate
    )
    admin = sub.add_parser("create-admin", help="create the first administrator (idempotent)")
    admin.add_argument("--email", default=DEFAULT_ADMIN_EMAIL)
    admin.add_argument("--org-name", default="Default", help="organisation the admin owns")
    admin.set_defaults(func=cmd_create_admin)
    run = sub.add_parser("run", help="start a run of a script, pipeline or transformation")
    run.add_argument("kind", choices=["script", "pipeline", "transformation"])
    run.add_argument("name", help="its name (for a script also its safe name)")
    run.add_argument("--org", required=True, help="the organisation's slug")
    run.add_argument("--wait", action="store_true", help="wait for the end; exit 0 on success")
    run.add_argument("--payload", help="a JSON object handed to the run (ETLFABRIC_PAYLOAD)")
    run.set_defaults(func=cmd_run)
    devstack = sub.add_parser("devstack", help="embedded PostgreSQL + Redis under DATA_DIR")
    devstack.add_argument("action", choices=["up", "down", "status"])
    devstack.set_defaults(func=cmd_devstack)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    reset_settings()
    try:
        code = args.func(args)
    except (ConfigError, DomainError) as exc:
        print(f"etlfabric {args.command}: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
