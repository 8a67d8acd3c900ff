"""Alembic environment for the tenant schema; the logic lives in etlfabric.migrations."""

from etlfabric.migrations import run_environment

run_environment("tenant")
