"""A script's own environment variables: stored encrypted, handed out only as names.

Values are decrypted for the worker that starts the script and for merging an edit; they never
reach a view, an audit row or a log.
"""

from __future__ import annotations

from etlfabric import crypto
from etlfabric.models import Script
from etlfabric.services import script_checks as checks


def decrypted_env_vars(script: Script) -> dict[str, str]:
    """The script's variables in clear: for the worker that starts the script, nobody else."""
    return crypto.decrypt_json(script.env_vars_secret) if script.env_vars_secret else {}


def env_var_names(script: Script) -> list[str]:
    return sorted(decrypted_env_vars(script))


def apply_env_vars(script: Script, given, old: dict, new: dict) -> None:
    """Merge `given` into the stored variables; record what changed, by name, in old/new."""
    current = decrypted_env_vars(script)
    merged = checks.merge_env_vars(current, given)
    if merged == current:
        return
    # Names only: a value never reaches the audit log, not even masked.
    old["env_var_names"], new["env_var_names"] = sorted(current), sorted(merged)
    changed = sorted(n for n in merged.keys() & current.keys() if merged[n] != current[n])
    if changed:
        new["env_var_values_changed"] = changed
    script.env_vars_secret = crypto.encrypt_json(merged) if merged else None
