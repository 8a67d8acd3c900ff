"""The kinds of work a run, schedule or dependency can point at."""

from __future__ import annotations

import enum


class TargetType(enum.StrEnum):
    script = "script"
    pipeline = "pipeline"
    transformation = "transformation"
