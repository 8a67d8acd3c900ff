"""Platform tasks that belong to no tenant."""

from __future__ import annotations

import os
import socket

from etlfabric.tasks import celery_app


@celery_app.task(name="etlfabric.ping", ignore_result=False)
def ping() -> dict:
    """Round trip check for health and benchmarks: which worker answered."""
    return {"host": socket.gethostname(), "pid": os.getpid()}
