"""Outgoing e-mail over SMTP (settings SMTP_*). Used when SMTP is configured; callers fall back to
showing a link when it is not."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from etlfabric.config import get_settings

TIMEOUT_SECONDS = 10


def smtp_configured() -> bool:
    return bool(get_settings().smtp_host)


async def send(*, to: str, subject: str, body: str) -> None:
    settings = get_settings()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, to, subject
    message.set_content(body)
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=TIMEOUT_SECONDS,
    )
