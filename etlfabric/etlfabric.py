"""The Reflex app: every page, and the REST API mounted on the same backend (DESIGN §2).

The theme is set in rxconfig.py (RadixThemesPlugin); `rx.App(theme=...)` is deprecated in 0.10.
"""

import reflex as rx

from etlfabric.api.app import build_api
from etlfabric.logs import configure_logging
from etlfabric.ui.pages import (
    audit,
    connection_editor,
    connections,
    dbt_project,
    dbt_sources,
    dependencies,
    flow_view,
    home,
    invite,
    lineage,
    not_found,
    notifications,
    pipeline_detail,
    pipeline_editor,
    pipelines,
    run_detail,
    runs,
    schedule_editor,
    schedules,
    script_editor,
    scripts,
    settings,
    sign_in,
    sign_up,
    system_health,
    transformation_editor,
    transformations,
)

PAGES = (
    home,
    sign_in,
    sign_up,
    audit,
    settings,
    invite,
    scripts,
    script_editor,
    runs,
    run_detail,
    schedules,
    schedule_editor,
    dependencies,
    flow_view,
    connections,
    connection_editor,
    pipelines,
    pipeline_editor,
    pipeline_detail,
    transformations,
    dbt_sources,
    transformation_editor,
    dbt_project,
    lineage,
    notifications,
    system_health,
    not_found,
)

configure_logging("web")
app = rx.App(api_transformer=build_api())
for page in PAGES:
    # A page may answer on several routes (the pipeline editor: new, and edit of one).
    for route in getattr(page, "ROUTES", (page.ROUTE,)):
        app.add_page(page.page, route=route, title=page.TITLE, on_load=page.ON_LOAD)
