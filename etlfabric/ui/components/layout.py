"""Page frames shared by the pages."""

from __future__ import annotations

import reflex as rx

CARD_WIDTH = "24rem"
# Read by screen readers, not drawn.
VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}
# A control that takes the room an action row leaves and, on a phone, shrinks below its usual width.
FILL_ROW = {"flex": "1 1 12rem", "min_width": "0"}


def action_row(*children: rx.Component, **props) -> rx.Component:
    """A row of actions (buttons, links, a search form) that wraps onto more lines rather than
    push the page wider than a phone's screen."""
    return rx.flex(*children, **{"wrap": "wrap", "gap": "0.75rem", "align": "center", **props})


def tab_list(*triggers: rx.Component, **props) -> rx.Component:
    """Tabs that wrap onto a second line on a narrow screen (Radix scrolls them instead, with a
    hidden scrollbar: the last tabs are cut off and nothing says there are more)."""
    return rx.tabs.list(*triggers, flex_wrap="wrap", **props)


def data_table(
    label: str, headers: rx.Component, body: rx.Component, *, size: str = "2", **props
) -> rx.Component:
    """A table named `label` (a hidden caption, so screen readers and tests find it by name).

    Radix's Table.Root puts its own props on a wrapper; the caption goes inside the <table>.
    """
    return rx.box(
        rx.table.root(
            rx.el.caption(label, style=VISUALLY_HIDDEN),
            rx.table.header(headers),
            body,
            variant="surface",
            size=size,
        ),
        overflow_x="auto",
        width="100%",
        **props,
    )


def centered_card(*children: rx.Component, label: str) -> rx.Component:
    """A single card in the middle of the page, e.g. the sign-in form; `label` names the region."""
    return rx.el.main(
        rx.center(
            rx.card(*children, size="3", width="100%", max_width=CARD_WIDTH),
            min_height="100vh",
            padding="1rem",
            background_color=rx.color("gray", 2),
        ),
        aria_label=label,
    )


def labelled_input(label: str, *, name: str, **props) -> rx.Component:
    """A visible <label for=...> above its input; the input's id is its form name."""
    return rx.vstack(
        rx.el.label(
            label,
            html_for=name,
            style={"fontWeight": "500", "fontSize": "var(--font-size-2)"},
        ),
        rx.input(id=name, name=name, size="3", width="100%", **props),
        spacing="1",
        width="100%",
    )


def form_field(
    label: str, *, name: str, error: rx.Var, hint: str | None = None, **props
) -> rx.Component:
    """A labelled input with an optional hint and the error for this field right under it.

    The input points at both with aria-describedby and is marked aria-invalid while `error` is set.
    """
    hint_id, error_id = f"{name}-hint", f"{name}-error"
    return rx.vstack(
        rx.el.label(
            label,
            html_for=name,
            style={"fontWeight": "500", "fontSize": "var(--font-size-2)"},
        ),
        rx.input(
            id=name,
            name=name,
            size="3",
            width="100%",
            aria_invalid=rx.cond(error, "true", "false"),
            aria_describedby=f"{hint_id} {error_id}" if hint else error_id,
            **props,
        ),
        rx.text(hint, id=hint_id, size="1", color=rx.color("gray", 11)) if hint else rx.fragment(),
        rx.text(error, id=error_id, size="2", color=rx.color("red", 11), aria_live="polite"),
        spacing="1",
        width="100%",
    )


def pager(state, *, summary_id: str) -> rx.Component:
    """ "N things · page X of Y" with Previous / Next, for a state with `summary`, `page`,
    `page_count`, `previous_page` and `next_page`."""
    return rx.hstack(
        rx.text(state.summary, id=summary_id, size="2", color=rx.color("gray", 11)),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=16, aria_hidden="true"),
            "Previous",
            on_click=state.previous_page,
            disabled=state.page <= 1,
            variant="soft",
            size="2",
        ),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16, aria_hidden="true"),
            on_click=state.next_page,
            disabled=state.page >= state.page_count,
            variant="soft",
            size="2",
        ),
        align="center",
        width="100%",
        margin_top="1rem",
    )


def missing_callout(message, *, back: str, href: str, id: str) -> rx.Component:
    """The alert a page shows instead of a thing that does not exist (or is another tenant's)."""
    from etlfabric.ui.components.runs import text_link

    return rx.callout(
        rx.text(message, " ", text_link(back, href)),
        icon="triangle_alert",
        color_scheme="red",
        id=id,
        role="alert",
    )


def header_row(*names: str, actions: bool | rx.Var = False) -> rx.Component:
    """A table's header row of plain column names; `actions` adds a last column for the row
    buttons, named for screen readers only (a Var: only while it holds, e.g. a role may write)."""
    cells = [rx.table.column_header_cell(name) for name in names]
    actions_cell = rx.table.column_header_cell(rx.el.span("Actions", style=VISUALLY_HIDDEN))
    if isinstance(actions, rx.Var):
        cells.append(rx.cond(actions, actions_cell))
    elif actions:
        cells.append(actions_cell)
    return rx.table.row(*cells)
