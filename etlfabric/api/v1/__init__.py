"""REST API v1: one router per domain, all calling the same services the UI calls."""

from fastapi import APIRouter

from etlfabric.api.v1 import accounts, keys, orgs, runs, scripts

router = APIRouter(prefix="/api/v1")
for module in (accounts, orgs, keys, runs, scripts):
    router.include_router(module.router)
