"""Notifications (tenant schema): where alerts go (channels), when (rules), and what was sent
(deliveries: one row per message, the truth about whether it went out)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from etlfabric.models.base import TenantBase, Timestamps, identity_key, now_column, text_enum
from etlfabric.models.targets import TargetType


class ChannelKind(enum.StrEnum):
    email = "email"
    slack = "slack"
    webhook = "webhook"


class NotifyEvent(enum.StrEnum):
    failure = "failure"
    success = "success"
    recovery = "recovery"  # the first success after failures
    auto_disable = "auto_disable"  # a schedule stopped after N consecutive failures
    daily_digest = "daily_digest"
    weekly_digest = "weekly_digest"
    test = "test"  # the "send test" button's message: a history row, never a rule's event


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for its (next) attempt at next_attempt_at
    sent = "sent"
    failed = "failed"  # gave up after MAX_ATTEMPTS, or its channel is gone
    grouped = "grouped"  # a repeat failure inside the rule's grouping window: counted, not sent


class NotificationChannel(Timestamps, TenantBase):
    __tablename__ = "notification_channels"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ChannelKind] = mapped_column(text_enum(ChannelKind, "notification_channel_kind"))
    # What may be shown: SMTP host, port, TLS mode, user, from, recipients; a webhook's URL.
    config: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    # Fernet-encrypted JSON: the SMTP password, the Slack URL, the webhook signing secret.
    secret: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
    created_by_id: Mapped[int | None] = mapped_column(BigInteger)


class NotificationRule(TenantBase):
    __tablename__ = "notification_rules"
    __table_args__ = (Index("ix_notification_rules_event_target", "event", "target_type"),)

    id: Mapped[int] = identity_key()
    channel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[NotifyEvent] = mapped_column(text_enum(NotifyEvent, "notification_event"))
    # Both null: every target of the organisation.
    target_type: Mapped[TargetType | None] = mapped_column(
        text_enum(TargetType, "notification_target")
    )
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    # At most one failure alert per target per this many minutes; later ones are grouped.
    group_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # Digests: the local hour (organisation's time zone) and, weekly, the day (0 = Monday).
    digest_hour: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A disabled rule matches nothing: no delivery is written for it, no digest is queued.
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
    created_by_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = now_column()


class NotificationDelivery(TenantBase):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_group", "rule_id", "target_type", "target_id", "id"),
    )

    id: Mapped[int] = identity_key()
    rule_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("notification_rules.id", ondelete="SET NULL")
    )
    channel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[NotifyEvent] = mapped_column(text_enum(NotifyEvent, "notification_event"))
    status: Mapped[DeliveryStatus] = mapped_column(
        text_enum(DeliveryStatus, "notification_status"),
        default=DeliveryStatus.pending,
        server_default="pending",
    )
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    target_type: Mapped[TargetType | None] = mapped_column(
        text_enum(TargetType, "notification_target")
    )
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    target_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Failures of the same target grouped into this alert (recorded as `grouped` rows).
    grouped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What the message needs beyond the run (digest figures, the auto-disable text).
    payload: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    subject: Mapped[str] = mapped_column(String(300), default="", server_default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
