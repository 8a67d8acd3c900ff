"""Checks on what a script is made of: code syntax, requirements, env vars, limits, uploads.

Pure functions without a database, so the editor can call them on every keystroke and the
service calls the very same ones on save. Each refusal is an `Invalid` naming the field and
saying what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from packaging.requirements import InvalidRequirement, Requirement

from etlfabric.errors import Invalid
from etlfabric.models import ScriptType
from etlfabric.runners.environments import requirement_problem
from etlfabric.services.naming import require_text

MAX_SCRIPT_BYTES = 10 * 1024 * 1024
EXTENSIONS = {".py": ScriptType.python, ".sh": ScriptType.shell, ".bat": ScriptType.batch}
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_ENV_PREFIX = "ETLFABRIC_"
MAX_REQUIREMENTS_CHARS = 100_000
MAX_ENV_VARS = 200
MAX_ENV_VALUE_CHARS = 32 * 1024
_HASH_OPTION = re.compile(r"\s--hash[=\s]\S+")

# field -> (lowest, highest, may be empty)
LIMITS = {
    "timeout_seconds": (1, 86_400, False),
    "memory_limit_mb": (64, 65_536, False),
    "cpu_limit_seconds": (1, 86_400, True),
    "max_concurrent_runs": (1, 1_000, True),
}


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}"


def script_type(value: str | ScriptType) -> ScriptType:
    try:
        return ScriptType(value)
    except ValueError:
        choices = ", ".join(t.value for t in ScriptType)
        raise Invalid("type", f"The type must be one of: {choices}.") from None


def check_syntax(type: str | ScriptType, content: str) -> list[SyntaxProblem]:
    """Python problems with line and column (1-based); shell and batch are not checked."""
    if script_type(type) is not ScriptType.python:
        return []
    try:
        compile(content, "<script>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        message = exc.msg or "invalid syntax"
        return [SyntaxProblem(exc.lineno or 1, exc.offset or 1, message)]
    except ValueError as exc:  # Python 3.11: "source code string cannot contain null bytes"
        return [SyntaxProblem(1, 1, str(exc))]
    except (RecursionError, MemoryError):  # Python could not run it either
        return [SyntaxProblem(1, 1, "an expression is nested too deeply for Python to compile")]
    return []


def require_content(type: str | ScriptType, content: str | None) -> str:
    content = content or ""
    if len(content.encode("utf-8", "surrogatepass")) > MAX_SCRIPT_BYTES:
        raise Invalid("content", "The script is larger than 10 MB.")
    problems = check_syntax(type, content)
    if problems:
        raise Invalid("content", str(problems[0]))
    return content


def require_requirements(text: str | None) -> str:
    """requirements.txt text, unchanged, after checking that every line is a requirement."""
    text = text or ""
    if len(text) > MAX_REQUIREMENTS_CHARS:
        raise Invalid("requirements", "The requirements are longer than 100,000 characters.")
    for number, raw in enumerate(text.splitlines(), start=1):
        problem = _requirement_line_problem(raw)
        if problem:
            raise Invalid("requirements", f"Line {number} ('{raw.strip()[:80]}'): {problem}")
    return text


def _requirement_line_problem(raw: str) -> str | None:
    line = raw.split(" #", 1)[0].strip()
    if not line or line.startswith("#"):
        return None
    if line.endswith("\\"):
        return "write each requirement on one line (no '\\' continuation)."
    problem = requirement_problem([line])  # the runner's own rule, so save and run agree
    if problem:
        return problem.removeprefix(f"'{line}': ") + "."
    if line.startswith("-"):
        return None
    try:
        Requirement(_HASH_OPTION.sub("", line))
    except InvalidRequirement:
        return "not a requirement; write e.g. 'requests', 'pandas>=2.2' or 'pkg @ https://...'."
    return None


def require_limit(field: str, value: object) -> int | None:
    lowest, highest, optional = LIMITS[field]
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        label = field.replace("_", " ").capitalize()
        empty = " (or empty for no limit)" if optional else ""
        raise Invalid(field, f"{label} must be a whole number from {lowest} to {highest}{empty}.")
    return value


def merge_env_vars(current: dict[str, str], given: dict[str, str | None]) -> dict[str, str]:
    """The new set of variables: `given` replaces `current`; a name given without a value
    (None) keeps its current value, so a form showing masked values can send names only."""
    if not isinstance(given, dict):
        raise Invalid("env_vars", "Env vars must be an object of NAME: value pairs.")
    if len(given) > MAX_ENV_VARS:
        raise Invalid("env_vars", f"A script can have at most {MAX_ENV_VARS} env vars.")
    merged: dict[str, str] = {}
    for name, value in given.items():
        _require_env_var_name(name)
        if value is None:
            if name not in current:
                raise Invalid("env_vars", f"Give a value for the new env var {name}.")
            merged[name] = current[name]
            continue
        if not isinstance(value, str):
            raise Invalid("env_vars", f"The value of {name} must be text.")
        if "\x00" in value or len(value) > MAX_ENV_VALUE_CHARS:
            raise Invalid(
                "env_vars",
                f"The value of {name} must be text without NUL characters, "
                f"at most {MAX_ENV_VALUE_CHARS} characters.",
            )
        merged[name] = value
    return merged


def _require_env_var_name(name: object) -> None:
    if not isinstance(name, str) or not ENV_VAR_NAME.match(name) or len(name) > 128:
        raise Invalid(
            "env_vars",
            f"'{name}' is not a valid env var name: use letters, digits and underscores, "
            "not starting with a digit.",
        )
    if name.upper().startswith(RESERVED_ENV_PREFIX):
        raise Invalid(
            "env_vars", f"{name}: names starting with {RESERVED_ENV_PREFIX} are reserved."
        )


@dataclass(frozen=True)
class UploadedScript:
    filename: str  # without any folder the browser sent
    name: str
    type: ScriptType
    content: str


def read_upload(filename: str, data: bytes) -> UploadedScript:
    """Name (the file's stem), type (its extension) and text of an uploaded script file."""
    # Browsers may send a full Windows or POSIX path; only the last part is the file's name.
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    suffix = "." + base.rsplit(".", 1)[1].lower() if "." in base else ""  # ".py" counts too
    if suffix not in EXTENSIONS:
        raise Invalid(
            "file", f"{base or 'The file'}: only .py, .sh and .bat files can be uploaded."
        )
    if len(data) > MAX_SCRIPT_BYTES:
        raise Invalid("file", f"{base} is larger than 10 MB ({len(data):,} bytes).")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "file",
            f"{base} is not UTF-8 text (byte {exc.start + 1} cannot be read); "
            "save it as UTF-8 and upload it again.",
        ) from None
    kind = EXTENSIONS[suffix]
    if kind is not ScriptType.batch:  # Windows line endings break shell scripts
        content = content.replace("\r\n", "\n")
    name = base[: -len(suffix)].strip()
    if not name:
        raise Invalid("file", f"{base}: the file name gives the script's name; rename the file.")
    return UploadedScript(filename=base, name=name, type=kind, content=content)


def validate_fields(fields: dict, kind: ScriptType) -> dict:
    """The given editable fields checked and normalised (env_vars, folder and type aside)."""
    clean = dict(fields)
    if "name" in clean:
        clean["name"] = require_text("name", clean["name"], max_length=200)
    if "description" in clean:
        clean["description"] = (clean["description"] or "").strip()
        if len(clean["description"]) > 10_000:
            raise Invalid("description", "The description must be at most 10,000 characters.")
    if "content" in clean:
        clean["content"] = require_content(kind, clean["content"])
    if "requirements" in clean:
        clean["requirements"] = require_requirements(clean["requirements"])
    for field in LIMITS:
        if field in clean:
            clean[field] = require_limit(field, clean[field])
    if "enabled" in clean and not isinstance(clean["enabled"], bool):
        raise Invalid("enabled", "Enabled must be true or false.")
    return clean
