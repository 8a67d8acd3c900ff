"""What an environment is made from: the requirement lines (normalised, checked) and the Python."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys

ALLOWED_OPTIONS = ("--index-url", "--extra-index-url", "-i")


@functools.cache
def python_version(python: str) -> str:
    """The full version of an interpreter, asked once per process (the worker's own: no process)."""
    if python == base_python():
        return sys.version.split()[0]
    probe = [python, "-c", "import sys; print(sys.version.split()[0])"]
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def base_python() -> str:
    """The interpreter the worker itself runs on (outside its own virtualenv)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def normalise_requirements(text: str) -> list[str]:
    """Requirement lines without comments, blanks and surrounding space; sorted, no duplicates."""
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return sorted({line for line in lines if line and not line.startswith("#")})


def requirement_problem(lines: list[str]) -> str | None:
    """Refuse what would make uv read the worker's files, and pip options other than an index."""
    for line in lines:
        if line.startswith("-"):
            option, _, value = line.replace("=", " ", 1).partition(" ")
            if option not in ALLOWED_OPTIONS:
                return f"'{line}': only the options {', '.join(ALLOWED_OPTIONS)} are allowed"
            if not value.strip().startswith(("https://", "http://")):
                return f"'{line}': an index must be an http(s) URL"
        elif line.startswith((".", "/", "~")) or "file:" in line:
            return f"'{line}': local files and paths are not allowed; name a package from an index"
    return None


def environment_key(lines: list[str], python: str) -> str:
    material = "\n".join([*lines, "", python, python_version(python)])
    return hashlib.sha256(material.encode()).hexdigest()[:16]
