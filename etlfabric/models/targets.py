"""The kinds of work a run, schedule or dependency can point at."""

from __future__ import annotations

import enum


class TargetType(enum.StrEnum):
    script = "script"
    pipeline = "pipeline"
    transformation = "transformation"


# A transformation target with this id is the organisation's whole dbt project (build, seeds,
# snapshots, freshness, docs); there is no row for it.
PROJECT_TARGET = 0
