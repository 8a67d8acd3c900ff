"""A script fails on a real Celery worker and its failure e-mail reaches a real SMTP server on
loopback within a minute: the run's end creates the delivery, the worker sends it."""

from __future__ import annotations

import time

from etlfabric.models import DeliveryStatus
from tests.notification_factories import deliveries, email_channel, rule
from tests.notification_servers import body_of, smtp_server, wait_until
from tests.run_factories import make_script, start, wait_status

FAILING = "import sys\nfor n in range(70):\n    print('step', n)\nsys.exit(4)\n"


async def test_a_failed_run_is_mailed_by_the_worker_within_a_minute(owner):
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        await rule(owner, channel, "failure")
        script = await make_script(owner.org_id, name="Broken export", content=FAILING)
        run = await start(owner, script)
        began = time.monotonic()
        wait_status(owner.org_id, run.id, ["failed"])
        wait_until(lambda: mail.messages, 60, "the failure e-mail")
        assert time.monotonic() - began < 60
        [message] = mail.messages
    text = body_of(message)
    assert message["Subject"] == f"[ETL Fabric] Failed: script 'Broken export' (run #{run.id})"
    assert f"/runs/{run.id}" in text and "Exit status: 4" in text
    assert "step 69" in text and "step 19\n" not in text  # the last 50 lines only
    wait_until(lambda: deliveries(owner.org_id)[0].status is DeliveryStatus.sent, 10, "sent")
