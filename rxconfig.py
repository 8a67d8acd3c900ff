"""Reflex configuration for the web process (`reflex run --env prod`).

Prod mode serves the compiled frontend, the Reflex event socket and our REST API (mounted through
`rx.App(api_transformer=...)`) on one port: WEB_PORT, 3000 by default. Loading this file needs
neither the platform settings nor a database: it reads environment variables and `.tools/`.
"""

from __future__ import annotations

import os
from pathlib import Path

import reflex as rx

from etlfabric.toolchain import installed_bun

WEB_PORT = int(os.environ.get("WEB_PORT") or 3000)
# The bun of `python -m etlfabric.toolchain`: without it Reflex downloads bun from GitHub.
BUN = installed_bun(Path(__file__).resolve().parent)
# No PyPI "is there a newer Reflex" request, even when the toolchain's env vars are not set.
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")

config = rx.Config(
    app_name="etlfabric",
    # Prod mode serves everything on this port and derives api_url from it (Reflex swaps "localhost"
    # for the page's own host name in the browser; behind a proxy set REFLEX_API_URL). Dev mode
    # (`reflex run`) puts the backend on 8000, or on REFLEX_BACKEND_PORT.
    frontend_port=WEB_PORT,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Our own Redis holds the UI state, so several web workers (GRANIAN_WORKERS) can share it.
    redis_url=os.environ.get("REDIS_URL") or None,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="light", accent_color="indigo", gray_color="slate", radius="medium"
            )
        )
    ],
    # A sitemap of a signed-in admin app is useless, and it warns on every build.
    disable_plugins=[rx.plugins.SitemapPlugin],
    **({"bun_path": BUN} if BUN else {}),
)
