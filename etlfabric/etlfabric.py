"""The Reflex app: every page, and the REST API mounted on the same backend (DESIGN §2).

The theme is set in rxconfig.py (RadixThemesPlugin); `rx.App(theme=...)` is deprecated in 0.10.
"""

import reflex as rx

from etlfabric.api.app import build_api
from etlfabric.ui.pages import (
    audit,
    home,
    invite,
    run_detail,
    runs,
    script_editor,
    scripts,
    settings,
    sign_in,
    sign_up,
)

PAGES = (home, sign_in, sign_up, audit, settings, invite, scripts, script_editor, runs, run_detail)

app = rx.App(api_transformer=build_api())
for page in PAGES:
    app.add_page(page.page, route=page.ROUTE, title=page.TITLE, on_load=page.ON_LOAD)
