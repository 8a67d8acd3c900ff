"""What went wrong in a pipeline child, in one sentence a user can act on (runs in the child).

`step(where, spec)` wraps a phase; any exception leaves it as RunFailed carrying the result the
child reports: error, kind (contract | unavailable | unreachable | http | failed), and for a
contract violation the table and column, for a 503 the Retry-After seconds.
"""

from __future__ import annotations

import contextlib

KINDS_RETRYABLE = ("unavailable", "unreachable")


class RunFailed(Exception):
    def __init__(self, result: dict):
        super().__init__(result.get("error"))
        self.result = result


def chain(exc: BaseException):
    """The exception and every exception it wraps (cause, context, dlt's `.exception`); a
    `raise ... from None` ends it, as it ends a traceback."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        context = None if exc.__suppress_context__ else exc.__context__
        exc = getattr(exc, "exception", None) or exc.__cause__ or context
    return seen


def _find(exc: BaseException, name: str):
    return next((e for e in chain(exc) if any(c.__name__ == name for c in type(e).__mro__)), None)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0].strip().rstrip(".") if text else type(exc).__name__


def contract_failure(error) -> dict:
    table, column = error.table_name, error.column_name
    entity, mode = error.schema_entity, error.contract_mode
    what = f"new column '{column}' in table '{table}'" if column else f"new table '{table}'"
    return {
        "kind": "contract",
        "error": (
            f"The schema contract ({entity}: {mode}) rejected the {what}; nothing was loaded. "
            f"Allow it by setting the pipeline's schema contract for {entity} to evolve."
        ),
        "contract_violations": [{"table": table, "column": column, "entity": entity, "mode": mode}],
    }


def http_failure(error, source: str) -> dict:
    response = error.response
    status = response.status_code
    if status == 503 or status == 429:
        retry_after = response.headers.get("Retry-After")
        seconds = int(retry_after) if retry_after and retry_after.strip().isdigit() else None
        return {
            "kind": "unavailable",
            "status_code": status,
            "retry_after": seconds,
            "error": (
                f"Source '{source}' is unavailable (HTTP {status} after retries with backoff); "
                "its connection cools down before the next run tries again."
            ),
        }
    return {
        "kind": "http",
        "status_code": status,
        "error": f"Source '{source}' answered HTTP {status} {response.reason} for {response.url}.",
    }


def classify(exc: BaseException, where: str, spec: dict) -> dict:
    source, destination = spec["source"]["name"], spec["destination"]["name"]
    if (found := _find(exc, "DataValidationError")) is not None:
        return contract_failure(found)
    if (found := _find(exc, "HTTPError")) is not None and found.response is not None:
        return http_failure(found, source)
    if (found := _find(exc, "ConnectionError") or _find(exc, "Timeout")) is not None:
        return {
            "kind": "unreachable",
            "error": f"Could not reach source '{source}' ({_first_line(found)}).",
        }
    if (found := _find(exc, "OperationalError")) is not None:
        name = source if where == "source" else destination
        side = "source" if where == "source" else "destination"
        return {
            "kind": "unreachable",
            "error": f"Could not reach {side} '{name}' ({_first_line(found)}).",
        }
    if (found := _find(exc, "ProgrammingError")) is not None or (
        found := _find(exc, "InsufficientPrivilege")
    ) is not None:
        return {"kind": "failed", "error": f"The {where} step failed: {_first_line(found)}."}
    last = chain(exc)[-1]
    return {"kind": "failed", "error": f"The {where} step failed: {_first_line(last)}."}


@contextlib.contextmanager
def step(where: str, spec: dict):
    try:
        yield
    except RunFailed:
        raise
    except Exception as exc:
        raise RunFailed(classify(exc, where, spec)) from exc
