"""What each connection type is made of: its config fields, its credential keys, its directions.

Pure functions without a database: the service, the REST API and the UI form check a config with
the very same `validate_config`. Each refusal is an `Invalid` naming the field
("config.host", "credentials.token") and saying what to fix.

Directions: PostgreSQL may be a source, a destination or both; the managed Warehouse is both;
every other type is a source only (MySQL/MariaDB, SQL Server and Oracle are read through their
SQLAlchemy drivers; SQL Server and Oracle have not been exercised against a real server here).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from etlfabric.errors import Invalid
from etlfabric.models import Direction

SOURCE, DESTINATION, BOTH = Direction.source, Direction.destination, Direction.both

# type -> allowed directions; the first one is the default
DIRECTIONS: dict[str, tuple[Direction, ...]] = {
    "postgres": (BOTH, SOURCE, DESTINATION),
    "mysql": (SOURCE,),
    "mssql": (SOURCE,),
    "oracle": (SOURCE,),
    "sqlite": (SOURCE,),
    "rest_api": (SOURCE,),
    "odata": (SOURCE,),
    "files": (SOURCE,),
    "warehouse": (BOTH,),
}
DATABASE_TYPES = ("postgres", "mysql", "mssql", "oracle", "sqlite", "warehouse")
HTTP_TYPES = ("rest_api", "odata")
# type -> the pipeline modes that can read a source of that type
SOURCE_MODES: dict[str, tuple[str, ...]] = {kind: ("table", "database") for kind in DATABASE_TYPES}
SOURCE_MODES |= {"rest_api": ("rest",), "odata": ("odata",), "files": ("files",)}
LABELS = {
    "postgres": "PostgreSQL",
    "mysql": "MySQL / MariaDB",
    "mssql": "SQL Server (not exercised against a real server)",
    "oracle": "Oracle (not exercised against a real server)",
    "sqlite": "SQLite file",
    "rest_api": "REST API",
    "odata": "OData",
    "files": "Files (CSV, JSONL, Parquet)",
    "warehouse": "Warehouse (managed)",
}
CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {
    "postgres": ("password",),
    "mysql": ("password",),
    "mssql": ("password",),
    "oracle": ("password",),
    "sqlite": (),
    "rest_api": ("token", "password", "api_key"),
    "odata": ("token", "password", "api_key"),
    "files": (),
    "warehouse": (),
}
AUTH_SECRET = {"bearer": "token", "basic": "password", "api_key": "api_key"}
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
AUTH_KINDS = ("none", "bearer", "basic", "api_key")
FILE_FORMATS = ("csv", "jsonl", "parquet")
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
PAGINATION_KINDS = ("none", "json_link", "offset", "page_number", "cursor", "odata")
PAGINATION_TEXT = (
    "next_path",
    "limit_param",
    "offset_param",
    "page_param",
    "cursor_path",
    "cursor_param",
    "total_path",
    "data_path",
)
# Headers that carry secrets belong in the credentials (auth), never in the plain config.
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key"}
_HOST = re.compile(r"^[A-Za-z0-9._:\-\[\]]+$")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def check_type(value: str) -> str:
    if value not in DIRECTIONS or value == "warehouse":
        choices = ", ".join(t for t in DIRECTIONS if t != "warehouse")
        if value == "warehouse":
            raise Invalid("type", "The Warehouse is managed by the platform; it cannot be added.")
        raise Invalid("type", f"The type must be one of: {choices}.")
    return value


def check_direction(kind: str, value: str | Direction | None) -> Direction:
    allowed = DIRECTIONS[kind]
    if value in (None, ""):
        return allowed[0]
    try:
        direction = Direction(value)
    except ValueError:
        raise Invalid("direction", "The direction must be source, destination or both.") from None
    if direction not in allowed:
        names = " or ".join(d.value for d in allowed)
        raise Invalid("direction", f"A {LABELS[kind]} connection can only be {names}.")
    return direction


def can_read(direction: Direction) -> bool:
    return direction in (SOURCE, BOTH)


def can_write(direction: Direction) -> bool:
    return direction in (DESTINATION, BOTH)


def _text(config: dict, key: str, *, required=True, default="", max_length=255) -> str:
    value = config.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise Invalid(f"config.{key}", f"{key} must be text.")
    value = value.strip()
    if required and not value:
        raise Invalid(f"config.{key}", f"{key} is required.")
    if len(value) > max_length:
        raise Invalid(f"config.{key}", f"{key} must be at most {max_length} characters.")
    return value


def _int(config: dict, key: str, default: int, low: int, high: int) -> int:
    value = config.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"config.{key}", f"{key} must be a whole number from {low} to {high}.")
    return value


def _choice(config: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = config.get(key) or default
    if value not in choices:
        raise Invalid(f"config.{key}", f"{key} must be one of: {', '.join(choices)}.")
    return value


def _host(config: dict) -> str:
    host = _text(config, "host")
    if not _HOST.match(host):
        raise Invalid("config.host", "host must be a host name or an IP address, without spaces.")
    return host


def _relative(config: dict, key: str, default: str = "") -> str:
    """A path inside the organisation's files folder: relative, no `..`, no backslashes."""
    value = _text(config, key, required=not default, default=default, max_length=500)
    path = PurePosixPath(value)
    if "\\" in value or path.is_absolute() or ".." in path.parts or "\x00" in value:
        raise Invalid(
            f"config.{key}", f"{key} must be relative to the organisation's files folder."
        )
    return value


def _url(config: dict, key: str) -> str:
    value = _text(config, key, max_length=2000)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"config.{key}", f"{key} must be an http:// or https:// URL.")
    return value


def _headers(config: dict) -> dict[str, str]:
    headers = config.get("headers") or {}
    if not isinstance(headers, dict):
        raise Invalid("config.headers", "headers must be an object of header names to values.")
    for name, value in headers.items():
        field = f"config.headers.{name}"
        if not _HEADER.match(str(name)) or not isinstance(value, str) or "\n" in value:
            raise Invalid(field, f"'{name}' is not a valid header with a text value.")
        if name.lower() in SECRET_HEADERS:
            raise Invalid(field, f"'{name}' carries a secret: set it through auth instead.")
    return dict(headers)


def _pagination(config: dict) -> dict:
    given = config.get("pagination") or {"type": "none"}
    if not isinstance(given, dict):
        raise Invalid("config.pagination", "pagination must be an object with a type.")
    kind = given.get("type") or "none"
    if kind not in PAGINATION_KINDS:
        choices = ", ".join(PAGINATION_KINDS)
        raise Invalid("config.pagination.type", f"pagination type must be one of: {choices}.")
    clean: dict = {"type": kind}
    for key, value in given.items():
        field = f"config.pagination.{key}"
        if key == "type":
            continue
        if key == "page_size":
            clean[key] = _int({key: value}, key, 100, 1, 100_000)
        elif key in PAGINATION_TEXT:
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise Invalid(field, f"{key} must be non-empty text.")
            clean[key] = value.strip()
        else:
            raise Invalid(field, f"'{key}' is not a pagination setting.")
    return clean


def _http_auth(config: dict, credentials_set: set[str]) -> dict:
    auth = _choice(config, "auth", AUTH_KINDS, "none")
    clean = {"auth": auth, "headers": _headers(config)}
    clean["timeout_seconds"] = _int(config, "timeout_seconds", 30, 1, 300)
    if auth == "basic":
        clean["username"] = _text(config, "username", max_length=200)
    if auth == "api_key":
        clean["api_key_header"] = _text(config, "api_key_header", default="X-API-Key")
        if not _HEADER.match(clean["api_key_header"]):
            raise Invalid("config.api_key_header", "api_key_header must be a header name.")
    secret = AUTH_SECRET.get(auth)
    if secret and secret not in credentials_set:
        raise Invalid(f"credentials.{secret}", f"{auth} auth needs credentials.{secret}.")
    return clean


def _server(config: dict, port: int, database_key: str = "database") -> dict:
    return {
        "host": _host(config),
        "port": _int(config, "port", port, 1, 65_535),
        database_key: _text(config, database_key, max_length=128),
        "username": _text(config, "username", max_length=128),
    }


def validate_config(kind: str, config: dict | None, credentials_set: set[str]) -> dict:
    """The clean, complete config of a `kind` connection (defaults filled in), or Invalid."""
    config = config or {}
    if not isinstance(config, dict):
        raise Invalid("config", "config must be an object.")
    if kind == "postgres":
        clean = _server(config, 5432)
        clean["sslmode"] = _choice(config, "sslmode", SSL_MODES, "prefer")
    elif kind == "mysql":
        clean = _server(config, 3306)
    elif kind == "mssql":
        clean = _server(config, 1433)
    elif kind == "oracle":
        clean = _server(config, 1521, "service_name")
    elif kind == "sqlite":
        clean = {"path": _relative(config, "path")}
        if not clean["path"].lower().endswith(SQLITE_SUFFIXES):
            endings = ", ".join(SQLITE_SUFFIXES)
            raise Invalid("config.path", f"path must name a SQLite file ({endings}).")
    elif kind == "files":
        file_format = _choice(config, "format", FILE_FORMATS, "csv")
        clean = {"format": file_format, "glob": _relative(config, "glob", f"*.{file_format}")}
    elif kind == "rest_api":
        clean = {"base_url": _url(config, "base_url"), **_http_auth(config, credentials_set)}
        clean["pagination"] = _pagination(config)
    elif kind == "odata":
        clean = {"service_url": _url(config, "service_url"), **_http_auth(config, credentials_set)}
        clean["max_get_filter_length"] = _int(config, "max_get_filter_length", 1500, 100, 8000)
    else:  # the warehouse: nothing to configure, everything is resolved at use
        clean = {}
    unknown = sorted(set(config) - set(clean))
    if unknown and kind != "warehouse":
        raise Invalid(f"config.{unknown[0]}", f"'{unknown[0]}' is not a {LABELS[kind]} setting.")
    return clean


def merge_credentials(kind: str, current: dict, given: dict | None) -> dict:
    """`given` on top of `current`: text sets a key, null removes it, "" or absent keeps it."""
    if given is None:
        return dict(current)
    if not isinstance(given, dict):
        raise Invalid("credentials", "credentials must be an object.")
    allowed = CREDENTIAL_KEYS[kind]
    merged = dict(current)
    for key, value in given.items():
        if key not in allowed:
            names = ", ".join(allowed) or "none"
            raise Invalid(f"credentials.{key}", f"'{key}' is not a credential here ({names}).")
        if value is None:
            merged.pop(key, None)
        elif not isinstance(value, str) or len(value) > 10_000:
            raise Invalid(f"credentials.{key}", f"{key} must be text (at most 10,000 characters).")
        elif value != "":
            merged[key] = value
    return merged
