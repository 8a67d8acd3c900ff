"""REST API v1: one router per domain, all calling the same services the UI calls."""

from fastapi import APIRouter

from etlfabric.api.v1 import (
    accounts,
    analytics,
    connections,
    dbt,
    dependencies,
    keys,
    notifications,
    orgs,
    pipeline_data,
    pipelines,
    runs,
    schedules,
    scripts,
    transformations,
    triggers,
    system,
)

router = APIRouter(prefix="/api/v1")
for module in (
    accounts,
    orgs,
    keys,
    runs,
    triggers,
    scripts,
    dependencies,
    schedules,
    pipelines,
    pipeline_data,
    connections,
    notifications,
    transformations,
    dbt,
    analytics,
    system,
):
    router.include_router(module.router)
