"""Runners: plain functions that run a piece of work in a worker process (no database, no Celery).

`run_script(spec, on_output=..., should_cancel=...)` is what the Celery task calls;
`prune_environments(max_idle_days=...)` is for a periodic job.
"""

from etlfabric.runners.environments import prune_environments
from etlfabric.runners.limits import Limits
from etlfabric.runners.process import OnOutput, Outcome, ShouldCancel
from etlfabric.runners.script import ScriptSpec, protect_worker_process, run_script

__all__ = [
    "Limits",
    "OnOutput",
    "Outcome",
    "ScriptSpec",
    "ShouldCancel",
    "protect_worker_process",
    "prune_environments",
    "run_script",
]
