"""/runs/[run_id]: one run — status, timings, resources, error — and its log, live while it runs.

The log opens at its end (the last lines of a long log; "Load earlier lines" pages back) and keeps
itself scrolled to the newest line until the user scrolls up (then a button brings it back);
search looks through the whole log; the download has every line.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var, VarData

from etlfabric.ui.components.layout import FILL_ROW, VISUALLY_HIDDEN, action_row
from etlfabric.ui.components.runs import muted, slow_badge, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.run_load_panel import load_card
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.run_detail import MAX_SHOWN
from etlfabric.ui.state.run_detail import RunDetailState as R

ROUTE = "/runs/[run_id]"
TITLE = "Run · ETL Fabric"
ON_LOAD = [AuthState.require_user, R.load]
LOG_ID = "run-log"
# Evaluated on every scroll of the log, before the (debounced) event goes to the server: it notes
# on the element whether the user has left the end, so new lines never pull a reader back down.
# Where FollowLog scrolled to is noted (`_etfAutoTop`): being there is not the user leaving, even
# when the browser folds the page's scroll and the user's into one event.
AT_BOTTOM = Var(
    _js_expr="((box) => { if (!box) return true; "
    "if (box._etfAutoTop !== undefined && Math.abs(box.scrollTop - box._etfAutoTop) < 2) "
    "{ return !box._etfAway; } "
    "box._etfAutoTop = undefined; "
    "box._etfAway = box.scrollHeight - box.scrollTop - box.clientHeight >= 32; "
    f"return !box._etfAway; }})(document.getElementById('{LOG_ID}'))",
    _var_type=bool,
)
JUMP_TO_END = (
    f"const box = document.getElementById('{LOG_ID}'); "
    "if (box) { box._etfAway = false; box.scrollTop = box.scrollHeight; }"
)


class FollowLog(rx.Fragment):
    """Scrolls the log to its newest line whenever lines arrive, while autoscroll is on (earlier
    lines put above do not move the view)."""

    def add_hooks(self) -> list[str | Var]:
        count, follow = R.last_seq, R.autoscroll
        effect = (
            f"useEffect(() => {{ const box = document.getElementById('{LOG_ID}'); "
            f"if (box && {follow} && !box._etfAway "
            "&& box.scrollHeight - box.scrollTop - box.clientHeight > 1) "
            "{ box.scrollTop = box.scrollHeight; box._etfAutoTop = box.scrollTop; } "
            f"}}, [{count}, {follow}])"
        )
        return [
            Var(
                _js_expr=effect,
                _var_data=VarData.merge(
                    count._get_all_var_data(),
                    follow._get_all_var_data(),
                    VarData(imports={"react": [rx.ImportVar(tag="useEffect")]}),
                ),
            )
        ]


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def fact(label: str, value: rx.Component | rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, color=rx.color("gray", 11), min_width="8rem"),
        rx.data_list.value(value),
    )


def or_dash(value: rx.Var) -> rx.Component:
    return rx.cond(value, value, muted("—"))


def facts() -> rx.Component:
    run = R.run
    target = rx.cond(
        run["target_href"], text_link(run["target_name"], run["target_href"]), run["target_name"]
    )
    return rx.card(
        rx.grid(
            rx.data_list.root(
                fact("Status", status_badge(run["status"], run["status_label"], id="run-status")),
                fact("Target", rx.vstack(target, muted(run["target_type"], size="1"), spacing="0")),
                fact("Trigger", run["trigger"]),
                fact("Attempt", run["attempt"]),
                fact("Exit code", or_dash(run["exit_code"])),
                size="2",
            ),
            rx.data_list.root(
                fact("Queued (UTC)", or_dash(run["queued"])),
                fact("Started (UTC)", or_dash(run["started"])),
                fact("Finished (UTC)", or_dash(run["finished"])),
                fact(
                    "Duration",
                    rx.hstack(or_dash(run["duration"]), slow_badge(run["slow"], full=True)),
                ),
                size="2",
            ),
            rx.data_list.root(
                fact("Peak memory", or_dash(run["peak_memory"])),
                fact("CPU time", or_dash(run["cpu_time"])),
                fact("Worker", or_dash(run["worker"])),
                fact("Queue", run["queue"]),
                size="2",
            ),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
        ),
        size="2",
        width="100%",
    )


def error_box() -> rx.Component:
    return rx.cond(
        R.run["error"],
        rx.callout(
            R.run["error"],
            icon="circle-x",
            color_scheme=rx.cond(R.run["status"] == "cancelled", "amber", "red"),
            id="run-error",
            width="100%",
        ),
    )


def related() -> rx.Component:
    return rx.hstack(
        rx.cond(R.run["retry_of"], text_link("Previous attempt", R.run["retry_of"], size="2")),
        rx.cond(R.run["retried_as"], text_link("Next attempt", R.run["retried_as"], size="2")),
        spacing="4",
    )


def actions() -> rx.Component:
    cancel = rx.button(
        rx.icon("square", size=16, aria_hidden="true"),
        rx.cond(R.run["cancel_requested"], "Cancelling…", "Cancel run"),
        on_click=R.cancel,
        disabled=R.run["cancel_requested"] != "",
        color_scheme="red",
        variant="soft",
    )
    rerun = rx.button(
        rx.icon("rotate-ccw", size=16, aria_hidden="true"), "Run again", on_click=R.rerun
    )
    return rx.hstack(
        text_link("All runs", "/runs", size="2"),
        rx.cond(R.active & can("runs.cancel"), cancel),
        rx.cond(~R.active & can("runs.start"), rerun),
        align="center",
        spacing="3",
    )


def log_line(line: rx.Var) -> rx.Component:
    colour = rx.match(
        line["stream"],
        ("stderr", rx.color("red", 11)),
        ("system", rx.color("blue", 11)),
        rx.color("gray", 12),
    )
    return rx.el.div(
        rx.el.span(
            line["seq"],
            aria_hidden="true",
            style={
                "color": rx.color("gray", 10),
                "user_select": "none",
                "min_width": "4ch",
                "text_align": "right",
                "flex_shrink": "0",
            },
        ),
        rx.el.span(line["text"], style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
        data_stream=line["stream"],
        title=line["time"] + " UTC · " + line["stream"],
        style={"display": "flex", "gap": "1ch", "color": colour, "padding": "0 0.5rem"},
        key=line["seq"],
    )


def earlier_lines() -> rx.Component:
    """Above the first line shown: how many come before it, and a button to load some."""
    load = rx.button(
        rx.icon("arrow-up-to-line", size=14, aria_hidden="true"),
        f"Load {R.earlier_room} earlier lines",
        on_click=R.load_earlier,
        loading=R.loading_earlier,
        variant="soft",
        size="1",
        id="load-earlier",
    )
    full = muted(
        f"The page holds at most {MAX_SHOWN:,} lines: search the log or download it for the rest.",
        size="1",
    )
    return rx.cond(
        R.earlier_lines > 0,
        rx.hstack(
            muted(
                rx.cond(
                    R.earlier_lines == 1,
                    "1 earlier line is not shown.",
                    f"{R.earlier_lines} earlier lines are not shown.",
                ),
                id="earlier-lines",
                size="1",
            ),
            rx.cond(R.earlier_room > 0, load, full),
            align="center",
            spacing="3",
            padding="0 0.5rem 0.5rem",
        ),
    )


def log_box() -> rx.Component:
    return rx.box(
        earlier_lines(),
        rx.foreach(R.lines, log_line),
        rx.cond(
            R.lines.length() == 0,
            muted(
                rx.cond(R.active, "Waiting for output…", "This run printed nothing."),
                padding="0 0.5rem",
            ),
        ),
        id=LOG_ID,
        role="log",
        aria_label="Output",
        tab_index=0,
        on_scroll=R.set_autoscroll(AT_BOTTOM).debounce(150),
        on_unmount=R.stop_following,
        font_family="var(--code-font-family)",
        font_size="var(--font-size-1)",
        line_height="1.6",
        background_color=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="var(--radius-2)",
        padding="0.5rem 0",
        height="28rem",
        overflow_y="auto",
        width="100%",
        _focus_visible={"outline": "2px solid var(--accent-9)", "outline_offset": "2px"},
    )


def log_search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.label("Search the log", html_for="log_search", style=VISUALLY_HIDDEN),
            rx.input(
                rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
                id="log_search",
                name="log_search",
                type="search",
                placeholder="Search the log",
                size="2",
                style=FILL_ROW,
            ),
            rx.button("Search", type="submit", variant="soft", size="2", loading=R.searching),
            rx.cond(
                R.search,
                rx.button(
                    "Clear", type="reset", on_click=R.clear_search, variant="ghost", size="2"
                ),
            ),
            spacing="2",
            align="center",
            width="100%",
        ),
        on_submit=R.search_log,
        reset_on_submit=False,
        aria_label="Search the log",
        flex="1 1 16rem",
        max_width="24rem",
        min_width="0",
    )


def matches() -> rx.Component:
    count = R.matches.length()
    summary = rx.cond(
        R.matches_capped,
        f"The first {count} lines containing “{R.search}”:",
        rx.cond(count == 1, "1 line contains ", f"{count} lines contain ") + f"“{R.search}”.",
    )
    return rx.cond(
        R.search,
        rx.vstack(
            rx.text(summary, id="log-matches-summary", size="2", weight="medium", role="status"),
            rx.cond(
                count > 0,
                rx.box(
                    rx.foreach(R.matches, log_line),
                    id="log-matches",
                    font_family="var(--code-font-family)",
                    font_size="var(--font-size-1)",
                    max_height="12rem",
                    overflow_y="auto",
                    border=f"1px solid {rx.color('amber', 7)}",
                    border_radius="var(--radius-2)",
                    width="100%",
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def log_toolbar() -> rx.Component:
    live = rx.cond(
        R.active,
        rx.cond(
            R.following,
            rx.badge(rx.icon("radio", size=14, aria_hidden="true"), "Live", color_scheme="green"),
            rx.button(
                "Resume live updates", on_click=R.follow, variant="soft", size="1", type="button"
            ),
        ),
    )
    paused = rx.cond(
        ~R.autoscroll,
        rx.button(
            rx.icon("arrow-down-to-line", size=16, aria_hidden="true"),
            "Autoscroll paused: jump to the newest line",
            on_click=[rx.call_script(JUMP_TO_END), R.resume_autoscroll],
            variant="soft",
            size="1",
            id="resume-autoscroll",
        ),
    )
    return action_row(
        rx.heading("Output", as_="h2", size="4"),
        live,
        paused,
        rx.spacer(),
        log_search(),
        rx.button(
            rx.icon("download", size=16, aria_hidden="true"),
            "Download .txt",
            on_click=R.download_log,
            variant="soft",
            size="2",
        ),
        width="100%",
    )


def run_view() -> rx.Component:
    return rx.vstack(
        actions(),
        facts(),
        error_box(),
        load_card(),
        related(),
        log_toolbar(),
        rx.cond(R.follow_error, muted(R.follow_error, color=rx.color("red", 11))),
        matches(),
        FollowLog.create(log_box()),
        spacing="4",
        width="100%",
    )


def page() -> rx.Component:
    title = rx.cond(R.run["id"], "Run #" + R.run["id"].to(str), "Run")
    return app_page(
        title,
        rx.cond(
            R.missing,
            rx.callout(
                rx.text(R.missing, " ", text_link("Back to the runs", "/runs")),
                icon="triangle_alert",
                color_scheme="red",
                id="run-missing",
                role="alert",
            ),
            rx.cond(R.run["id"], run_view(), rx.spinner()),
        ),
    )
