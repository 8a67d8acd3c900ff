"""Keyboard shortcuts a page adds by putting a component in it."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var, VarData

# Capture phase, so a focused editor or input cannot keep the keystroke from us.
SAVE_JS = """useEffect(() => {
  const onKey = (event) => {
    const mod = event.ctrlKey || event.metaKey;
    if (!mod || event.altKey || event.shiftKey || event.key.toLowerCase() !== "s") return;
    const button = document.getElementById("%(button)s");
    if (!button || !button.form) return;  // nothing to save here: the browser keeps its shortcut
    event.preventDefault();
    if (!button.disabled) button.form.requestSubmit(button);
  };
  window.addEventListener("keydown", onKey, true);
  return () => window.removeEventListener("keydown", onKey, true);
}, [])"""


class SaveShortcut(rx.Fragment):
    """Ctrl+S / Cmd+S presses the Save button with id `save-button` (its form submits as if
    clicked, message and all) instead of opening the browser's "Save page" dialog."""

    def add_hooks(self) -> list[str | Var]:
        return [
            Var(
                _js_expr=SAVE_JS % {"button": "save-button"},
                _var_data=VarData(imports={"react": [rx.ImportVar(tag="useEffect")]}),
            )
        ]
