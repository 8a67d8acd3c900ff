"""How a transformation run is prepared and done: `prepare_transformation` (registered in
tasks.runs.EXECUTORS) writes the organisation's dbt project from its rows, works out the dbt
command from the run's payload, and returns a Work that runs the child under runners.process.

A run's target is a transformation (`dbt run --select <name>` unless the payload asks to test or
build it, or for its upstream/downstream), or target id 0: the whole project (build, seed
<name>, snapshot, freshness, docs; `dbt build` when the payload names no command). The spec
reaches the child on stdin through a FIFO; the credentials through its environment, for
profiles.yml's env_var().
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from etlfabric.config import get_settings
from etlfabric.errors import Conflict, NotFound
from etlfabric.models import DbtSeed, Organization, Run, Transformation
from etlfabric.models.targets import PROJECT_TARGET
from etlfabric.pipelines.executor import feeding
from etlfabric.runners.process import Command, Limits, OnOutput, Outcome, ShouldCancel, run_process
from etlfabric.runners.script import remove_tree
from etlfabric.services import run_logs, tenancy
from etlfabric.services import transformation_checks as checks
from etlfabric.transformations import environment, rows
from etlfabric.transformations.results import ResultReader

MEMORY_MB = 2048
# A dbt child's rlimits: run children here, the warm interactive children in launch.py.
LIMITS = Limits(memory_mb=MEMORY_MB, file_size_mb=None, processes=256)
TIMEOUT_SECONDS = 3600
FIFO = "spec.fifo"


def command_of(session: Session, org_id: int, run: Run) -> tuple[str, str | None]:
    """(dbt command, selection) of the run, checked whoever started it (a URL trigger's body is
    the payload): a model's run selects the model, the whole project's only a seed it has."""
    if run.target_id == PROJECT_TARGET:
        command, selection = checks.dbt_request(run.payload, None)
        if (
            selection
            and session.scalar(select(DbtSeed.id).where(DbtSeed.name == selection)) is None
        ):
            raise NotFound(f"There is no seed named '{selection}'.")
        return command, selection
    model = session.scalar(
        select(Transformation).where(
            Transformation.id == run.target_id, Transformation.deleted_at.is_(None)
        )
    )
    if model is None:
        raise NotFound(f"The transformation '{run.target_name}' was deleted before this run.")
    if not model.enabled:
        raise Conflict(f"The transformation '{model.name}' is disabled; enable it to run it.")
    own = tenancy.list_data_schemas(session.connection(), org_id)
    if model.schema_name not in own:
        raise Conflict(
            f"The transformation '{model.name}' writes to schema '{model.schema_name}', which is "
            "no longer one of this organisation's data schemas; choose another schema."
        )
    return checks.dbt_request(run.payload, model.name)


def prepare_transformation(session: Session, org_id: int, run: Run):
    from etlfabric.tasks.runs import Work, run_timeout

    command, selection = command_of(session, org_id, run)
    org = session.get(Organization, org_id)
    folder, _ = rows.sync_project(session, org_id)
    secrets = environment.credentials(org)
    password = secrets[environment.project.ENV_PASSWORD]
    job = DbtRun(
        org_id=org_id,
        run_id=run.id,
        spec={
            "command": command,
            "select": selection,
            "project_dir": str(folder),
            "partial_parse": str(rows.dbt_dir(org_id) / "runs.partial_parse.msgpack"),
        },
        secrets=secrets,
        password=password,
        timeout_seconds=run_timeout(session, run, TIMEOUT_SECONDS),
        data_dir=get_settings().data_dir,
    )
    return Work(call=job, secrets=(password,), concurrency_limit=1)


class DbtRun:
    """One dbt child: working dir with its own target path, FIFO, run_process, result read."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __call__(self, on_output: OnOutput, should_cancel: ShouldCancel) -> Outcome:
        workdir = self.data_dir / "runs" / str(self.org_id) / f"transformation-{self.run_id}"
        remove_tree(workdir)
        workdir.mkdir(parents=True, mode=0o700)
        spec = {**self.spec, "target_path": str(workdir / "target")}
        reader = ResultReader(on_output)
        try:
            with feeding(workdir / FIFO, json.dumps(spec).encode()):
                outcome = run_process(
                    self.command(workdir), on_output=reader, should_cancel=should_cancel
                )
        finally:
            remove_tree(workdir)
        outcome = reader.outcome(outcome)
        mask = run_logs.masker((self.password,))
        return replace(outcome, error=mask(outcome.error) if outcome.error else None)

    def command(self, workdir: Path) -> Command:
        return Command(
            argv=["/bin/sh", "-c", f'exec "$0" -u -m etlfabric.transformations.child < {FIFO}']
            + [sys.executable],
            cwd=workdir,
            env=environment.child_environment(workdir, self.secrets),
            timeout_seconds=self.timeout_seconds,
            limits=LIMITS,
        )
