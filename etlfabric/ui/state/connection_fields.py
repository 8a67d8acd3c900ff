"""The connection form, per type: which inputs it has, their help text, and the way between the
form's strings and the connections service's `config` and `credentials`.

The types, their directions, choices and credential keys come from connection_specs; this adds
what a person needs to fill them in. Inputs are keyed by where their value goes: "host" is
config.host, "pagination.type" is config.pagination.type, "credentials.password" is a secret
(a password input, never filled from the server: blank keeps the stored value).
"""

from __future__ import annotations

from dataclasses import dataclass

from etlfabric.errors import Invalid
from etlfabric.services import connection_specs as specs

SECRET = "credentials."


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    help: str
    kind: str = "text"  # text | number | select | secret | lines
    options: tuple[str, ...] = ()
    default: str = ""
    shown_when: tuple[str, tuple[str, ...]] | None = None  # (other input, its values)

    @property
    def input_id(self) -> str:
        return input_id(self.key)


def input_id(key: str) -> str:
    """The HTML id of an input: "pagination.type" -> "pagination-type"."""
    return key.replace(".", "-").replace("_", "-")


# Which types our own tests run against a real server, and which only have a driver installed.
EXERCISED = {
    "postgres": "Exercised against a real PostgreSQL server in our tests.",
    "mysql": "Exercised against a real MariaDB server in our tests.",
    "sqlite": "Exercised against real SQLite files in our tests.",
    "files": "Exercised with real CSV, JSONL and Parquet files in our tests.",
    "rest_api": "Exercised against a local HTTP server in our tests (paging, 429, 503).",
    "odata": "Exercised against a local OData-shaped server in our tests (@odata.nextLink).",
    "mssql": "Driver installed (pymssql); NOT exercised against a real SQL Server here.",
    "oracle": "Driver installed (oracledb); NOT exercised against a real Oracle server here.",
    "warehouse": "The organisation's own schemas on the platform database.",
}
TYPES = tuple(kind for kind in specs.DIRECTIONS if kind != "warehouse")


def _server(port: int, database: str = "database", label: str = "Database") -> tuple[Field, ...]:
    return (
        Field("host", "Host", "Host name or IP address of the server, e.g. db.example.com."),
        Field("port", "Port", f"TCP port; {port} when left empty.", "number", default=str(port)),
        Field(database, label, "The database to read from (or write to)."),
        Field("username", "User name", "The database user the platform logs in as."),
        Field(
            "credentials.password",
            "Password",
            "Stored encrypted; never shown again.",
            "secret",
        ),
    )


_AUTH = "auth"
_HTTP = (
    Field(
        "auth",
        "Authentication",
        "none, a bearer token, basic user and password, or an API key in a header.",
        "select",
        specs.AUTH_KINDS,
        "none",
    ),
    Field("username", "User name", "For basic authentication.", shown_when=(_AUTH, ("basic",))),
    Field(
        "credentials.password",
        "Password",
        "For basic authentication; stored encrypted.",
        "secret",
        shown_when=(_AUTH, ("basic",)),
    ),
    Field(
        "credentials.token",
        "Bearer token",
        "Sent as 'Authorization: Bearer …'; stored encrypted.",
        "secret",
        shown_when=(_AUTH, ("bearer",)),
    ),
    Field(
        "api_key_header",
        "API key header",
        "The header that carries the key.",
        default="X-API-Key",
        shown_when=(_AUTH, ("api_key",)),
    ),
    Field(
        "credentials.api_key",
        "API key",
        "Stored encrypted; never shown again.",
        "secret",
        shown_when=(_AUTH, ("api_key",)),
    ),
    Field(
        "headers",
        "Extra headers",
        "One per line, as Name: value. Secrets belong in the authentication above.",
        "lines",
    ),
    Field(
        "timeout_seconds",
        "Timeout (seconds)",
        "Connect and read timeout per request, 1 to 300.",
        "number",
        default="30",
    ),
)
_PAGE = "pagination.type"
FIELDS: dict[str, tuple[Field, ...]] = {
    "postgres": (
        *_server(5432),
        Field(
            "sslmode",
            "SSL mode",
            "prefer tries TLS and falls back; require insists; verify-full also checks the name.",
            "select",
            specs.SSL_MODES,
            "prefer",
        ),
    ),
    "mysql": _server(3306),
    "mssql": _server(1433),
    "oracle": _server(1521, "service_name", "Service name"),
    "sqlite": (
        Field(
            "path",
            "File",
            "A .sqlite, .sqlite3 or .db file in the organisation's files folder (upload below).",
        ),
    ),
    "files": (
        Field("format", "Format", "How the files are read.", "select", specs.FILE_FORMATS, "csv"),
        Field(
            "glob",
            "Files (glob)",
            "Which files of the organisation's folder to read, e.g. sales/*.csv; "
            "every file of the format when empty.",
        ),
    ),
    "rest_api": (
        Field("base_url", "Base URL", "e.g. https://api.example.com/v1/ — resources are paths."),
        *_HTTP,
        Field(
            "pagination.type",
            "Pagination",
            "json_link: a link to the next page in the body; offset / page_number: query "
            "parameters; cursor: a cursor from the body; odata: @odata.nextLink.",
            "select",
            specs.PAGINATION_KINDS,
            "none",
        ),
        Field(
            "pagination.next_path",
            "Next link path",
            "Where the next page's URL is in the body, e.g. links.next.",
            default="next",
            shown_when=(_PAGE, ("json_link",)),
        ),
        Field(
            "pagination.page_size",
            "Page size",
            "Records per request (the limit parameter).",
            "number",
            default="100",
            shown_when=(_PAGE, ("offset",)),
        ),
        Field(
            "pagination.offset_param",
            "Offset parameter",
            "Query parameter for the offset.",
            default="offset",
            shown_when=(_PAGE, ("offset",)),
        ),
        Field(
            "pagination.limit_param",
            "Limit parameter",
            "Query parameter for the page size.",
            default="limit",
            shown_when=(_PAGE, ("offset",)),
        ),
        Field(
            "pagination.page_param",
            "Page parameter",
            "Query parameter for the page number (the first page is 1).",
            default="page",
            shown_when=(_PAGE, ("page_number",)),
        ),
        Field(
            "pagination.cursor_path",
            "Cursor path",
            "Where the next cursor is in the body, e.g. cursors.next.",
            default="cursors.next",
            shown_when=(_PAGE, ("cursor",)),
        ),
        Field(
            "pagination.cursor_param",
            "Cursor parameter",
            "Query parameter that sends the cursor back.",
            default="cursor",
            shown_when=(_PAGE, ("cursor",)),
        ),
    ),
    "odata": (
        Field("service_url", "Service URL", "The OData service root, e.g. https://host/odata/."),
        *_HTTP,
        Field(
            "max_get_filter_length",
            "Longest $filter in a GET",
            "Longer filters are sent with POST instead (100 to 8000 characters).",
            "number",
            default="1500",
        ),
    ),
    "warehouse": (),
}


def defaults(kind: str) -> dict[str, str]:
    return {field.key: field.default for field in FIELDS.get(kind, ())}


def shown(field: Field, values: dict[str, str]) -> bool:
    if field.shown_when is None:
        return True
    other, wanted = field.shown_when
    return values.get(other, "") in wanted


def _headers(text: str) -> dict[str, str]:
    headers = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise Invalid("config.headers", f"'{line.strip()}': write each header as Name: value.")
        headers[name.strip()] = value.strip()
    return headers


def to_service(kind: str, values: dict[str, str]) -> tuple[dict, dict]:
    """(config, credentials) from the form's strings: empty inputs are left out (the service
    fills defaults and names what is missing); hidden inputs are not sent."""
    config: dict = {}
    credentials: dict = {}
    for field in FIELDS.get(kind, ()):
        text = str(values.get(field.key, "")).strip()
        if not shown(field, values) or not text:
            continue
        if field.key.startswith(SECRET):
            credentials[field.key.removeprefix(SECRET)] = str(values[field.key])
        elif field.kind == "lines":
            config[field.key] = _headers(text)
        elif "." in field.key:
            outer, inner = field.key.split(".", 1)
            config.setdefault(outer, {})[inner] = text
        else:
            config[field.key] = text
    return config, credentials


def from_config(kind: str, config: dict) -> dict[str, str]:
    """A stored config as the form's strings (secrets are never in it: they stay blank)."""
    values = defaults(kind)
    for field in FIELDS.get(kind, ()):
        if field.key.startswith(SECRET):
            values[field.key] = ""
            continue
        outer, _, inner = field.key.partition(".")
        stored = (config.get(outer) or {}).get(inner) if inner else config.get(outer)
        if field.kind == "lines":
            values[field.key] = "\n".join(f"{k}: {v}" for k, v in (stored or {}).items())
        elif stored not in (None, ""):
            values[field.key] = str(stored)
    return values


def error_input(kind: str, field: str | None) -> str:
    """The input a service error belongs under ("config.pagination.next_path" ->
    "pagination.next_path", "config.headers.X-Y" -> "headers"); "" when none of this form."""
    name = field or ""
    if name in ("name", "direction", "type", "file"):
        return name
    keys = {f.key for f in FIELDS.get(kind, ())}
    key = name.removeprefix("config.")
    if key == "pagination":
        key = "pagination.type"
    if key.startswith("headers"):
        key = "headers"
    return key if key in keys else ""
