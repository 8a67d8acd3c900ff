"""Alembic environment for the platform schema; the logic lives in etlfabric.migrations."""

from etlfabric.migrations import run_environment

run_environment("platform")
