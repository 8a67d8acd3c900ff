"""The environment of a dbt child: an allowlist plus the organisation's workload credentials,
which profiles.yml reads through env_var() (never written to disk, masked in the run log)."""

from __future__ import annotations

import os
from pathlib import Path

from etlfabric import crypto
from etlfabric.models import Organization
from etlfabric.services import connection_access
from etlfabric.transformations import project

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def credentials(org: Organization) -> dict[str, str]:
    """The profile's variables: the workload role on the platform database."""
    url = connection_access.warehouse_url(org)
    values = {
        project.ENV_HOST: str(url.query.get("host") or url.host or "127.0.0.1"),
        project.ENV_PORT: str(url.port or 5432),
        project.ENV_USER: str(url.username),
        project.ENV_PASSWORD: crypto.decrypt(org.workload_secret),
        project.ENV_DB: str(url.database),
    }
    if url.query.get("sslmode"):
        values[project.ENV_SSLMODE] = str(url.query["sslmode"])
    return values


def child_environment(home: Path, secrets: dict[str, str]) -> dict[str, str]:
    """Nothing of the worker's own environment (DATABASE_URL, FERNET_KEYS...) passes."""
    return {
        "PATH": SYSTEM_PATH,
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": os.environ.get("TZ", "UTC"),
        "TMPDIR": str(home),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
        "DBT_PARTIAL_PARSE": "true",
        # the child ends with os._exit: multiprocessing's tracker would call that a leak
        "PYTHONWARNINGS": "ignore:resource_tracker:UserWarning",
        **secrets,
    }
