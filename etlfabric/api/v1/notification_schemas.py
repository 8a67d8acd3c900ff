"""Request and response bodies of the notifications API.

Channel `secrets` (SMTP `password`, Slack `url`, webhook `signing_secret`) are accepted on write
and never returned: responses carry `secrets_set` (per key, set or not). Config fields are
checked by the service per kind, and its errors name the field (e.g. `config.host`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool


class ChannelIn(BaseModel):
    name: str
    kind: str = Field(description="email, slack or webhook.")
    config: dict = Field(
        default_factory=dict,
        description="email: host, port, tls (starttls | tls | none), user, from, recipients; "
        "webhook: url; slack: nothing (its URL is a secret).",
    )
    secrets: dict[str, str | None] | None = Field(
        default=None,
        description="Write-only. email: password; slack: url; webhook: signing_secret.",
    )
    enabled: bool = True


class ChannelPatch(BaseModel):
    """Only the fields sent change. `config` is merged key by key; `secrets`: text sets a key,
    null removes it, "" keeps it."""

    name: str | None = None
    enabled: bool | None = None
    config: dict | None = None
    secrets: dict[str, str | None] | None = Field(default=None, description="Write-only.")


class ChannelOut(BaseModel):
    id: int
    name: str
    kind: str
    config: dict
    secrets_set: dict[str, bool]
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ChannelTestOut(BaseModel):
    __test__ = False

    ok: bool
    message: str


class RuleIn(BaseModel):
    channel_id: int
    event: str = Field(
        description="failure, success, recovery, auto_disable, daily_digest or weekly_digest."
    )
    target_type: str | None = Field(default=None, description="Omit both for every target.")
    target_id: int | None = None
    group_minutes: int = Field(
        default=15, description="At most one failure alert per target per this many minutes."
    )
    digest_hour: int = Field(default=8, description="Digests: the hour in the org's time zone.")
    digest_weekday: int = Field(default=0, description="Weekly digests: 0 = Monday ... 6.")


class RulePatch(BaseModel):
    """Only the fields sent change; the channel, event and target are fixed."""

    enabled: StrictBool | None = Field(
        default=None, description="A disabled rule sends nothing and queues no digest."
    )
    group_minutes: int | None = Field(default=None, description="0 to 1440.")
    digest_hour: int | None = Field(default=None, description="0 to 23.")
    digest_weekday: int | None = Field(default=None, description="0 = Monday ... 6.")


class RuleOut(BaseModel):
    id: int
    channel_id: int
    channel_name: str
    event: str
    target_type: str | None
    target_id: int | None
    target_name: str | None
    group_minutes: int
    digest_hour: int
    digest_weekday: int
    next_digest_at: datetime | None
    enabled: bool
    created_at: datetime


class DeliveryOut(BaseModel):
    id: int
    channel_id: int
    channel_name: str
    rule_id: int | None
    event: str = Field(description="A rule's event, or test (the channel's test button).")
    status: str = Field(description="pending, sent, failed or grouped.")
    subject: str
    run_id: int | None
    target_type: str | None
    target_id: int | None
    target_name: str
    grouped_count: int
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int
