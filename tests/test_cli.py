"""The `etlfabric` command: every subcommand explains itself, and bad settings are named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.processes import ROOT

COMMANDS = ["up", "web", "worker", "scheduler", "migrate", "create-admin", "run", "devstack"]


def etlfabric(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "etlfabric", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_top_level_help_lists_every_command():
    result = etlfabric("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command):
    result = etlfabric(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: etlfabric {command}")


def test_devstack_refuses_an_unknown_action():
    result = etlfabric("devstack", "sideways")
    assert result.returncode == 2
    assert "invalid choice: 'sideways'" in result.stderr


def test_production_without_a_secret_names_the_variable(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "ENV": "production",
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = etlfabric("migrate", env=env)
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
