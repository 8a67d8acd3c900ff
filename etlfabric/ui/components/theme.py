"""The signed-in user's light/dark theme, applied to the whole page.

The user row holds the choice (AuthState.theme). Reflex's colour mode keeps a copy in the
browser's localStorage, and its head script applies that copy before the first paint, so a reload
shows the right theme at once. `AccountTheme` copies AuthState.theme into the colour mode whenever
the signed-in state changes it; before the state arrives it does nothing, so the saved copy is not
overwritten by the default "light".
"""

from __future__ import annotations

import reflex as rx
from reflex.constants import ColorMode, Dirs
from reflex.vars import Var, VarData

from etlfabric.ui.state.auth import AuthState

# The colour-mode setter Reflex exposes through its ColorModeContext (reflex_base/style.py).
SET_COLOR_MODE = Var(
    _js_expr=ColorMode.SET,
    _var_data=VarData(
        imports={
            f"$/{Dirs.CONTEXTS_PATH}": [rx.ImportVar(tag="ColorModeContext")],
            "react": [rx.ImportVar(tag="useContext"), rx.ImportVar(tag="useEffect")],
        },
        hooks={f"const {{ {ColorMode.SET} }} = useContext(ColorModeContext)": None},
    ),
)


class AccountTheme(rx.Fragment):
    """Renders its children; keeps the page's colour mode equal to the user's saved theme."""

    def add_hooks(self) -> list[str | Var]:
        theme, signed_in = AuthState.theme, AuthState.signed_in
        effect = (
            f"useEffect(() => {{ if ({signed_in} && ['light', 'dark'].includes({theme})) "
            f"{{ {SET_COLOR_MODE}({theme}); }} }}, [{signed_in}, {theme}])"
        )
        return [
            Var(
                _js_expr=effect,
                _var_data=VarData.merge(
                    theme._get_all_var_data(),
                    signed_in._get_all_var_data(),
                    SET_COLOR_MODE._get_all_var_data(),
                ),
            )
        ]


account_theme = AccountTheme.create
