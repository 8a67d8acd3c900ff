"""Organisations, users, memberships and invitations: the platform schema."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from etlfabric.models.base import PlatformBase, Timestamps, identity_key, text_enum


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


class Organization(Timestamps, PlatformBase):
    __tablename__ = "organizations"

    id: Mapped[int] = identity_key()
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The workload role's password, Fernet-encrypted; only workers decrypt it.
    workload_secret: Mapped[str | None] = mapped_column(Text)
    # Runs (and their logs) older than this are deleted by the retention sweeper.
    run_retention_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")

    memberships: Mapped[list[Membership]] = relationship(back_populates="organization")


class User(Timestamps, PlatformBase):
    __tablename__ = "users"

    id: Mapped[int] = identity_key()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    is_platform_admin: Mapped[bool] = mapped_column(default=False, server_default="false")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    theme: Mapped[str] = mapped_column(String(8), default="light", server_default="light")

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(Timestamps, PlatformBase):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: Mapped[int] = identity_key()
    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(text_enum(Role, "membership_role"))

    organization: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Invitation(Timestamps, PlatformBase):
    __tablename__ = "invitations"

    id: Mapped[int] = identity_key()
    org_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(text_enum(Role, "invitation_role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
