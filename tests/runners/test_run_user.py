"""The organisation's own run user: created once even when several worker processes ask at the
same moment, and the folders of an organisation admit its user only."""

from __future__ import annotations

import os
import pwd
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from etlfabric.runners.environments import EnvironmentFailed
from etlfabric.runners.run_user import ORG_UIDS, choose_run_as, gate, organisation_user

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating users needs root")


def _uid_of_new_user(org_id: int, data_dir: str) -> int:
    return organisation_user(org_id, Path(data_dir)).uid


def test_four_processes_asking_at_once_get_one_user(data_dir):
    org_id = 9200 + os.getpid() % 700  # a user this machine has not seen yet, most likely
    with ProcessPoolExecutor(4) as pool:
        uids = list(pool.map(_uid_of_new_user, [org_id] * 4, [str(data_dir)] * 4))
    entry = pwd.getpwnam(f"etlfabric-o{org_id}")
    assert uids == [entry.pw_uid] * 4
    assert ORG_UIDS[0] <= entry.pw_uid <= ORG_UIDS[1] and entry.pw_gid == entry.pw_uid
    assert entry.pw_shell == "/usr/sbin/nologin" and entry.pw_dir == "/nonexistent"


def test_a_named_user_serves_every_organisation_and_root_means_no_switch(data_dir):
    assert choose_run_as("nobody", 1, data_dir).name == "nobody"
    assert choose_run_as("nobody", 2, data_dir).name == "nobody"
    assert choose_run_as("root", 1, data_dir) is None
    assert choose_run_as(None, 3, data_dir).name == "etlfabric-o3"
    with pytest.raises(EnvironmentFailed, match="'no-such-run-user'"):
        choose_run_as("no-such-run-user", 1, data_dir)


def test_an_organisations_folders_admit_its_user_only(data_dir):
    user = organisation_user(9101, data_dir)
    folder = data_dir / "gate-test"
    folder.mkdir(mode=0o755, exist_ok=True)
    gate([folder], user)
    info = folder.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, user.gid, 0o710)
    folder.rmdir()
