"""Per-target analytics: success rates, daily runs and duration percentiles, anomalies."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from etlfabric.api.deps import Id, current_principal
from etlfabric.db import tenant_session
from etlfabric.models import TargetType
from etlfabric.services import run_analytics
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["analytics"])


class RateOut(BaseModel):
    succeeded: int
    finished: int
    percent: float | None


class DayOut(BaseModel):
    day: date
    runs: int
    succeeded: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None


class AnomalyOut(BaseModel):
    run_id: int
    queued_at: datetime
    duration_ms: int
    baseline_p95_ms: float


class TargetAnalyticsOut(BaseModel):
    target_type: TargetType
    target_id: int
    name: str
    timezone: str
    success: dict[str, RateOut]
    days: list[DayOut]
    anomalies: list[AnomalyOut]

    @classmethod
    def of(cls, found: run_analytics.TargetAnalytics) -> TargetAnalyticsOut:
        return cls(
            target_type=found.target_type,
            target_id=found.target_id,
            name=found.name,
            timezone=found.timezone,
            success={
                window: RateOut(succeeded=r.succeeded, finished=r.finished, percent=r.percent)
                for window, r in found.success.items()
            },
            days=[DayOut(**vars(day)) for day in found.days],
            anomalies=[AnomalyOut(**vars(anomaly)) for anomaly in found.anomalies],
        )


@router.get(
    "/analytics/targets/{kind}/{target_id}",
    response_model=TargetAnalyticsOut,
    summary="Success rates, daily runs and durations, and anomalous runs of one target",
)
async def target_analytics(
    kind: TargetType,
    target_id: Id,
    principal: Principal = Depends(current_principal),
) -> TargetAnalyticsOut:
    async with tenant_session(principal.org_id) as session:
        found = await run_analytics.target_analytics(
            session=session, principal=principal, target_type=kind, target_id=target_id
        )
    return TargetAnalyticsOut.of(found)
