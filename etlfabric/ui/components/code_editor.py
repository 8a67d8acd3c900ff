"""A code editor with syntax highlighting: CodeMirror 6 through @uiw/react-codemirror.

Every package comes from the npm registry at build time and is bundled with the app, so the editor
works offline (no CDN at runtime). Versions are pinned to one copy of each @codemirror package: two
copies of @codemirror/state in one bundle break CodeMirror ("Unrecognized extension value").

The editor is uncontrolled: `value` is only where it starts. Give it a new `key` to load other text
(another script, a restored version); the text the user types reaches the state through
`on_change`, so a state update that arrives while the user types never moves the cursor back.

    code_editor(
        value=EditorState.loaded_code, key=EditorState.editor_key, language="python",
        label="Code", on_change=EditorState.edit_code,
    )
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var
from reflex.vars.function import FunctionStringVar
from reflex_base.event import EventHandler, passthrough_event_spec

CODEMIRROR = "@uiw/react-codemirror@4.25.12"
PACKAGES = [
    "codemirror@6.0.2",
    "@codemirror/state@6.7.6",
    "@codemirror/view@6.43.15",
    "@codemirror/language@6.13.1",
    "@codemirror/commands@6.11.1",
    "@codemirror/theme-one-dark@6.1.3",
    "@codemirror/lang-python@6.2.1",
    "@codemirror/legacy-modes@6.5.5",
]
LANGUAGES = ("python", "shell", "sql", "batch", "text")

# Module-level in the page: one extension array per (language, label), so a re-render passes the
# same array and CodeMirror is not reconfigured on every keystroke.
EXTENSIONS_JS = """
const etfEditorExtensionCache = {};
function etfEditorExtensions(language, label, describedBy) {
  const key = `${language}\\u0000${label}\\u0000${describedBy}`;
  if (!etfEditorExtensionCache[key]) {
    const grammar = language === "python" ? [etfPython()]
      : language === "shell" ? [StreamLanguage.define(etfShell)]
      : language === "sql" ? [StreamLanguage.define(etfPgSQL)]
      : [];
    etfEditorExtensionCache[key] = [
      ...grammar,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of(
        describedBy
          ? { "aria-label": label, "aria-describedby": describedBy }
          : { "aria-label": label }
      ),
    ];
  }
  return etfEditorExtensionCache[key];
}
"""


class CodeMirror(rx.NoSSRComponent):
    """@uiw/react-codemirror's default export."""

    library = CODEMIRROR
    tag = "CodeMirror"
    is_default = True
    lib_dependencies: list[str] = PACKAGES

    value: Var[str]
    theme: Var[str]
    extensions: Var[list]
    height: Var[str]
    min_height: Var[str]
    max_height: Var[str]
    editable: Var[bool]
    read_only: Var[bool]
    placeholder: Var[str]
    basic_setup: Var[dict]
    indent_with_tab: Var[bool]
    auto_focus: Var[bool]

    on_change: EventHandler[passthrough_event_spec(str)]

    def add_imports(self) -> dict:
        return {
            "@codemirror/lang-python@6.2.1": [rx.ImportVar(tag="python", alias="etfPython")],
            # A subpath of a package lib_dependencies installs; no version in a subpath import.
            "@codemirror/legacy-modes/mode/shell": [
                rx.ImportVar(tag="shell", alias="etfShell", install=False)
            ],
            # PostgreSQL's dialect (dbt models run on the Warehouse); Jinja reads as plain text.
            "@codemirror/legacy-modes/mode/sql": [
                rx.ImportVar(tag="pgSQL", alias="etfPgSQL", install=False)
            ],
            "@codemirror/language@6.13.1": [rx.ImportVar(tag="StreamLanguage")],
            "@codemirror/view@6.43.15": [rx.ImportVar(tag="EditorView")],
        }

    def add_custom_code(self) -> list[str]:
        return [EXTENSIONS_JS]


def code_editor(
    *,
    value: Var | str,
    language: Var | str,
    label: str,
    on_change=None,
    id: str,
    key: Var | str | None = None,
    height: str = "24rem",
    editable: Var | bool = True,
    described_by: str | None = None,
    **props,
) -> rx.Component:
    """A labelled editor: a visible label above it names the text box for screen readers too.

    Tab indents inside the editor; Esc then Tab moves on (CodeMirror's way out), which the hint
    under the editor says, so the keyboard is never trapped.
    """
    extensions = FunctionStringVar.create("etfEditorExtensions").call(
        language, label, described_by or ""
    )
    return rx.box(
        CodeMirror.create(
            value=value,
            extensions=extensions,
            theme=rx.color_mode_cond(light="light", dark="dark"),
            height=height,
            editable=editable,
            read_only=~Var.create(editable),
            basic_setup={"highlightActiveLine": True, "foldGutter": True},
            on_change=on_change,
            **({"key": key} if key is not None else {}),
            **props,
        ),
        id=id,
        border=f"1px solid {rx.color('gray', 7)}",
        border_radius="var(--radius-2)",
        overflow="hidden",
        width="100%",
        font_size="var(--font-size-2)",
        _focus_within={"outline": "2px solid var(--accent-9)", "outline_offset": "2px"},
    )
