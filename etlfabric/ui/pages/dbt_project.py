"""/transformations/project: the parts of the organisation's dbt project that are not models —
seeds and snapshots — with the runs of the whole project (build, a seed's load, snapshots) and
the project's import and export as a zip. Viewers see the lists, not the buttons."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.dbt_seeds_panel import seeds_card
from etlfabric.ui.pages.dbt_snapshots_panel import snapshots_card
from etlfabric.ui.pages.dbt_transfer_panel import export_button, import_button, import_report
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dbt_project_runs import DbtProjectRunState as R
from etlfabric.ui.state.dbt_seeds import DbtSeedsState
from etlfabric.ui.state.dbt_snapshots import DbtSnapshotsState
from etlfabric.ui.state.dbt_transfer import DbtTransferState

ROUTE = "/transformations/project"
TITLE = "dbt project · ETL Fabric"
ON_LOAD = [
    AuthState.require_user,
    R.reset_runs,
    DbtTransferState.reset_transfer,
    DbtSeedsState.load,
    DbtSnapshotsState.load,
]


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def toolbar() -> rx.Component:
    back = rx.button(
        rx.link(
            rx.icon("arrow-left", size=16, aria_hidden="true"),
            "Transformations",
            href="/transformations",
            underline="none",
        ),
        as_child=True,
        variant="ghost",
    )
    build = rx.button(
        rx.icon("hammer", size=16, aria_hidden="true"),
        "Build whole project",
        on_click=R.build,
        color_scheme="green",
        title="dbt build: seeds, models, snapshots and tests, in dependency order",
    )
    return rx.flex(
        back,
        rx.spacer(),
        export_button(),
        rx.cond(can("resources.write"), import_button()),
        rx.cond(can("runs.start"), build),
        wrap="wrap",
        gap="0.75rem",
        align="center",
        width="100%",
    )


def run_line(run: rx.Var) -> rx.Component:
    """One run started here: its command, a link, its status (a spinner while it runs), and
    why it failed."""
    return rx.el.li(
        rx.hstack(
            rx.cond(run["active"], rx.spinner(size="2")),
            rx.code(run["label"]),
            text_link("Run #" + run["id"], "/runs/" + run["id"], size="2"),
            status_badge(run["status"], run["status_label"], id="project-run-" + run["id"]),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(run["error"], muted(run["error"], color=rx.color("red", 11))),
        style={"listStyle": "none"},
    )


def runs_list() -> rx.Component:
    """The runs started from this page, newest first, each followed until it ends."""
    return rx.box(
        rx.el.ul(rx.foreach(R.runs, run_line), style={"padding": 0, "margin": 0}),
        rx.cond(R.problem, rx.callout(R.problem, icon="triangle_alert", color_scheme="red")),
        id="project-runs",
        role="status",
        aria_live="polite",
        width="100%",
        on_unmount=R.reset_runs,  # leaving the page ends the follow loops (the runs go on)
    )


def page() -> rx.Component:
    return app_page(
        "dbt project",
        rx.vstack(
            toolbar(),
            runs_list(),
            import_report(),
            seeds_card(),
            snapshots_card(),
            spacing="4",
            width="100%",
        ),
    )
