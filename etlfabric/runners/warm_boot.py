"""The code a pre-started interpreter runs (handed to `python -u -c`; the worker never imports it).

It waits for its job on the descriptor named by argv[1], written by the worker and closed: fields
separated by NUL bytes (which neither paths nor environment variables can hold): the run's folder,
the script's file name, the rlimits as "which:soft:hard" separated by commas, then the whole
environment as NAME=value. Then it becomes the script: lowers its rlimits, moves to the folder,
replaces its environment, and runs the file as __main__, as `python -u <file>` would. It exits
quietly when the pipe closes without a job (the worker went away) or when nobody wants it within
argv[2] seconds. Everything it needs is imported before it waits (json, for one, would cost ms).
"""

import os
import resource
import select
import sys
import types
from importlib.machinery import SourceFileLoader


def _wait_for_job():
    fd, idle_seconds = int(sys.argv[1]), float(sys.argv[2])
    ready, _, _ = select.select([fd], [], [], idle_seconds)
    chunks = []
    while ready and (chunk := os.read(fd, 65536)):
        chunks.append(chunk)
    os.close(fd)
    if not chunks:
        os._exit(0)
    return b"".join(chunks).decode("utf-8", "surrogateescape").split("\0")


def _become(job):
    cwd, argv0, rlimits, *env = job
    for limit in filter(None, rlimits.split(",")):
        which, soft, hard = map(int, limit.split(":"))
        resource.setrlimit(which, (soft, hard))
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(item.split("=", 1) for item in env)
    sys.argv = [argv0]
    sys.orig_argv = [sys.executable, "-u", argv0]
    sys.path[0] = cwd
    return os.path.join(cwd, argv0)


def _hide_this_frame(kind, value, tb, shown=sys.excepthook):
    """Tracebacks start at the script, as they would without a pre-started interpreter."""
    while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
        tb = tb.tb_next
    if isinstance(value, BaseException):  # the default hook prints the exception's own
        value.__traceback__ = tb
    shown(kind, value, tb)


def _main_module(path):
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__cached__ = None
    main.__builtins__ = __builtins__
    main.__loader__ = SourceFileLoader("__main__", path)
    sys.modules["__main__"] = main
    return main


if __name__ == "__main__":
    _path = _become(_wait_for_job())
    sys.excepthook = _hide_this_frame
    with open(_path, "rb") as _file:
        _code = compile(_file.read(), _path, "exec")
    exec(_code, _main_module(_path).__dict__)
