"""Charts of runs over time (recharts, bundled with Reflex): runs per day stacked by outcome,
p50 and p95 duration per day, success rates, and the runs flagged as unusually slow."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, text_link

CHART_HEIGHT = 220


def runs_per_day(days: rx.Var, *, id: str) -> rx.Component:
    return rx.box(
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="succeeded", stack_id="runs", fill="var(--green-9)"),
            rx.recharts.bar(data_key="failed", stack_id="runs", fill="var(--red-9)"),
            rx.recharts.bar(data_key="other", stack_id="runs", fill="var(--gray-8)"),
            data=days,
            height=CHART_HEIGHT,
            width="100%",
        ),
        id=id,
        role="img",
        aria_label="Runs per day: succeeded, failed and other",
        width="100%",
    )


def durations_per_day(days: rx.Var, *, id: str) -> rx.Component:
    return rx.box(
        rx.recharts.line_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(unit=" s"),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.line(data_key="p50", stroke="var(--blue-9)", connect_nulls=True),
            rx.recharts.line(data_key="p95", stroke="var(--orange-9)", connect_nulls=True),
            data=days,
            height=CHART_HEIGHT,
            width="100%",
        ),
        id=id,
        role="img",
        aria_label="Duration per day: median (p50) and p95, in seconds",
        width="100%",
    )


def trend_charts(days: rx.Var, *, prefix: str) -> rx.Component:
    return rx.grid(
        rx.vstack(
            rx.heading("Runs per day", as_="h3", size="3"),
            runs_per_day(days, id=f"{prefix}-runs-chart"),
            width="100%",
        ),
        rx.vstack(
            rx.heading("Duration (p50 / p95)", as_="h3", size="3"),
            durations_per_day(days, id=f"{prefix}-duration-chart"),
            width="100%",
        ),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="4",
        width="100%",
    )


def success_rates(rates: rx.Var) -> rx.Component:
    return rx.grid(
        rx.foreach(
            rates,
            lambda rate: rx.card(
                muted(rate["window"]),
                rx.heading(rate["percent"], as_="p", size="6", white_space="nowrap"),
                muted(rate["detail"], size="1"),
                size="1",
            ),
        ),
        # As many cards a row as fit whole, so "100%" never breaks in two on a phone.
        grid_template_columns="repeat(auto-fit, minmax(7rem, 1fr))",
        spacing="3",
        width="100%",
        id="success-rates",
    )


def anomalies_table(anomalies: rx.Var) -> rx.Component:
    headers = ("Run", "Queued (UTC)", "Duration", "2× p95 of the 30 before")
    return rx.cond(
        anomalies,
        data_table(
            "Unusually slow runs",
            header_row(*headers),
            rx.table.body(
                rx.foreach(
                    anomalies,
                    lambda a: rx.table.row(
                        rx.table.row_header_cell(text_link("#" + a["id"], a["href"])),
                        rx.table.cell(a["queued"]),
                        rx.table.cell(a["duration"]),
                        rx.table.cell("over 2 × " + a["baseline"]),
                    ),
                )
            ),
            size="1",
        ),
        muted("No unusually slow runs.", id="no-anomalies"),
    )


def target_analytics_card(state) -> rx.Component:
    """Success rates, charts and slow runs of the target whose page this is."""
    return rx.card(
        rx.vstack(
            rx.heading("Analytics", as_="h2", size="4"),
            rx.cond(
                state.error,
                muted(state.error),
                rx.vstack(
                    success_rates(state.rates),
                    trend_charts(state.days, prefix="target"),
                    rx.heading("Unusually slow runs", as_="h3", size="3"),
                    anomalies_table(state.anomalies),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        id="target-analytics",
    )
