"""REST API v1: one router per domain, all calling the same services the UI calls."""

from fastapi import APIRouter

from etlfabric.api.errors import ErrorOut
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
    system,
    transformations,
    triggers,
)

# Every operation may answer with a domain error ({detail, field}); say so in the schema.
ERROR_RESPONSES = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "The request cannot be done as asked"),
        (401, "Not signed in, or the token or API key is not valid"),
        (403, "The role or the API key's scopes do not allow this"),
        (404, "Not found (or another organisation's)"),
        (409, "Conflicts with the current state"),
        (422, "A field is not valid: `field` names it"),
        (429, "Too many attempts: see Retry-After"),
        (503, "No worker could do this now (dbt requests need a running worker)"),
    )
}
router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
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
