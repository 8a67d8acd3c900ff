"""Senders: one message out over one channel (blocking; the worker's task and, in a thread, the
"send a test" button call them). Each raises NotifyFailed with what went wrong and never puts a
secret (password, Slack URL, signing secret) into the message.

- e-mail: stdlib smtplib. The sender is synchronous like the Celery task that calls it, so an
  event loop per message (aiosmtplib) would add nothing; TLS modes `starttls`, `tls`, `none`.
- Slack-compatible incoming webhook: `{"text": ..., "blocks": [...]}` POSTed as JSON.
- generic webhook: the message's JSON, signed (`sign`): the receiver recomputes
  HMAC-SHA256(secret, "<timestamp>.<body>") and compares it with X-ETLFabric-Signature, and
  refuses a timestamp older than a few minutes (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

import httpx

TIMEOUT_SECONDS = 15.0
SIGNATURE_HEADER = "X-ETLFabric-Signature"
TIMESTAMP_HEADER = "X-ETLFabric-Timestamp"
EVENT_HEADER = "X-ETLFabric-Event"
USER_AGENT = "ETL-Fabric-Notifier/1"


class NotifyFailed(Exception):
    """The channel did not take the message; `message` says why (no secret in it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Message:
    event: str
    subject: str
    text: str  # plain text: the e-mail body, Slack's fallback
    data: dict = field(default_factory=dict)  # the webhook body (the JSON receivers parse)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance=300) -> bool:
    """What a receiver does (documented in the README; used by the tests)."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - moment) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, moment, body), signature)


def send_email(config: dict, secret: dict, message: Message) -> None:
    email = EmailMessage()
    email["From"] = config["from"]
    email["To"] = ", ".join(config["recipients"])
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="etlfabric")
    email.set_content(message.text)
    host, port, mode = config["host"], int(config["port"]), config.get("tls", "starttls")
    try:
        if mode == "tls":
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if mode == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.get("user"):
                smtp.login(config["user"], secret.get("password") or "")
            smtp.send_message(email)
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyFailed(
            f"The SMTP server {host}:{port} refused the login for user '{config.get('user')}' "
            f"({exc.smtp_code}). Check the user and password of this channel."
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise NotifyFailed(
            f"The SMTP server {host}:{port} does not offer STARTTLS; choose TLS mode 'tls' or "
            "'none' for this channel."
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyFailed(f"Sending e-mail through {host}:{port} failed: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:300]


def _post(url: str, body: bytes, headers: dict[str, str], where: str) -> None:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:  # its text may quote the URL, which can be the secret
        reason = _reason(exc).replace(url, "<url>")
        raise NotifyFailed(f"{where} could not be reached: {reason}") from None
    if answer.status_code >= 300:
        raise NotifyFailed(f"{where} answered HTTP {answer.status_code}: {answer.text[:200]}")


def _host(url: str) -> str:
    """Where a webhook points, without its path or query (which may carry a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def slack_body(message: Message) -> dict:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": message.text[:2900]}},
    ]
    return {"text": message.subject, "blocks": blocks}


def send_slack(config: dict, secret: dict, message: Message) -> None:
    body = json.dumps(slack_body(message)).encode()
    _post(secret["url"], body, {}, "The Slack webhook")  # its URL is the secret: never named


def send_webhook(config: dict, secret: dict, message: Message) -> None:
    body = json.dumps(message.data, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret["signing_secret"], timestamp, body),
        EVENT_HEADER: message.event,
    }
    _post(config["url"], body, headers, f"The webhook at {_host(config['url'])}")


SENDERS = {"email": send_email, "slack": send_slack, "webhook": send_webhook}


def send(kind: str, config: dict, secret: dict, message: Message) -> None:
    SENDERS[kind](config, secret, message)
