"""GET /api/metrics: the platform in Prometheus text format, for operators.

It aggregates every organisation, so it is not for tenants: with METRICS_TOKEN set it wants
`Authorization: Bearer <METRICS_TOKEN>`; without it only loopback clients are answered.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from etlfabric.api.deps import bearer, client_ip
from etlfabric.api.errors import ErrorOut
from etlfabric.config import get_settings
from etlfabric.db import platform_session
from etlfabric.errors import PermissionDenied, Unauthenticated
from etlfabric.services import platform_metrics, workers
from etlfabric.services.platform_metrics import DURATION_BUCKETS

router = APIRouter(tags=["system"])


def _is_loopback(ip: str | None) -> bool:
    try:
        return ip is not None and ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def require_metrics_access(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> None:
    token = get_settings().metrics_token
    if token is None:
        if not _is_loopback(client_ip(request)):
            raise PermissionDenied(
                "Metrics are served to loopback clients only; set METRICS_TOKEN and send it "
                "as a bearer token to read them from elsewhere."
            )
        return
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthenticated("Send METRICS_TOKEN as a bearer token to read the metrics.")


async def collect_families() -> list:
    started = time.perf_counter()
    async with platform_session() as session:
        tenants = await platform_metrics.live_tenants(session)
        groups = await platform_metrics.run_groups(session, tenants)
        scheduler = await platform_metrics.scheduler_state(session)
    known = await workers.list_workers()
    depths = await workers.queue_depths(known)
    families = [
        _gauge("etlfabric_organizations", "Organisations with a live tenant schema", len(tenants)),
        *_run_families(groups),
        *_queue_families(depths, known),
        *_scheduler_families(scheduler),
    ]
    elapsed = time.perf_counter() - started
    families.append(
        _gauge("etlfabric_metrics_collect_seconds", "Time taken to collect these metrics", elapsed)
    )
    return families


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _run_families(groups: list[platform_metrics.RunGroup]) -> list:
    runs = GaugeMetricFamily(
        "etlfabric_runs", "Runs stored, by target kind and status", labels=["kind", "status"]
    )
    durations = HistogramMetricFamily(
        "etlfabric_run_duration_seconds",
        "Durations of finished runs, by target kind and status",
        labels=["kind", "status"],
    )
    bounds = [f"{bound:g}" for bound in DURATION_BUCKETS] + ["+Inf"]
    for group in groups:
        runs.add_metric([group.kind, group.status], group.runs)
        if group.timed:
            buckets = list(zip(bounds, [*group.cumulative, group.timed], strict=True))
            durations.add_metric([group.kind, group.status], buckets, group.total_seconds)
    return [runs, durations]


def _queue_families(depths: dict[str, int], known: list[workers.WorkerInfo]) -> list:
    depth = GaugeMetricFamily(
        "etlfabric_queue_depth", "Messages waiting in each Celery queue", labels=["queue"]
    )
    serving = GaugeMetricFamily(
        "etlfabric_queue_workers", "Live workers consuming each queue", labels=["queue"]
    )
    alive = [worker for worker in known if worker.alive]
    for queue, waiting in depths.items():
        depth.add_metric([queue], waiting)
        serving.add_metric([queue], sum(queue in worker.queues for worker in alive))
    total = _gauge("etlfabric_workers_alive", "Celery workers with a fresh heartbeat", len(alive))
    return [depth, serving, total]


def _scheduler_families(scheduler: platform_metrics.SchedulerState) -> list:
    families = [
        _gauge(
            "etlfabric_scheduler_leader",
            "1 when a scheduler process leads, 0 otherwise",
            1 if scheduler.leader else 0,
        )
    ]
    if scheduler.lag_seconds is not None:
        families.append(
            _gauge(
                "etlfabric_scheduler_lag_seconds",
                "Seconds since the scheduler leader's last tick",
                max(0.0, scheduler.lag_seconds),
            )
        )
    return families


class _Snapshot:
    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(require_metrics_access)],
    summary="Platform metrics in Prometheus text format (operators)",
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        401: {"model": ErrorOut, "description": "METRICS_TOKEN is set and was not sent"},
        403: {"model": ErrorOut, "description": "No METRICS_TOKEN set and not a loopback client"},
    },
)
async def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(await collect_families()))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
