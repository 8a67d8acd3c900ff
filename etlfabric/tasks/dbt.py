"""dbt's interactive requests (compile, preview, lineage): answered on a worker, where the
organisation's warm dbt child lives; the web side waits for the result with a timeout."""

from __future__ import annotations

from etlfabric.services.dbt_requests import INTERACTIVE_TASK
from etlfabric.tasks import celery_app


@celery_app.task(name=INTERACTIVE_TASK, ignore_result=False)
def interactive(org_id: int, op: str, transformation_id: int | None = None) -> dict:
    from etlfabric.transformations.interactive import answer

    return answer(org_id, op, transformation_id)
