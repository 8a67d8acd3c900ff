"""One typed settings object, read from the environment and `.env`.

Outside development it refuses to start on a missing or well-known secret and names the variable.
In development, missing secrets are generated once and kept in DATA_DIR/secrets.json (mode 0600),
so a laptop install is never protected by a fixed default.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from etlfabric.errors import ConfigError

INSECURE_SECRETS = {
    "",
    "changeme",
    "change-me",
    "changethis",
    "secret",
    "dev",
    "development",
    "test",
}
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    fernet_keys: SecretStr | None = Field(
        default=None, description="Comma-separated Fernet keys; the first encrypts, all decrypt."
    )
    data_dir: Path = Path(".data")
    web_port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # JSON logs under DATA_DIR/logs/<process>.log, rotated at this size, this many old files kept.
    log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    log_backup_count: int = Field(default=5, ge=1, le=100)
    # Bearer token for GET /api/metrics; unset: only loopback clients may read the metrics.
    metrics_token: SecretStr | None = None
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    # Slots of the worker `etlfabric worker` starts beside it for the interactive queue (dbt
    # compile / preview / lineage), so they never wait behind long runs; 0: none on this machine.
    interactive_concurrency: int = Field(default=2, ge=0, le=16)
    # Warm dbt children (one organisation each) a worker process keeps; the least recently used
    # goes when another is needed. Each holds a parsed project: ~150-300 MB.
    dbt_warm_children: int = Field(default=4, ge=1, le=64)
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    public_url: str = Field(
        default="http://localhost:3000", description="Base URL for links in e-mails and invites."
    )
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_from: str = "ETL Fabric <noreply@localhost>"
    scheduler_poll_seconds: float = Field(default=5.0, gt=0, le=60)
    db_role_prefix: str | None = Field(
        default=None, description="Prefix of tenant database roles; defaults to the database name."
    )
    # Who scripts run as when the worker runs as root; unset: a user per organisation
    # (runners/run_user).
    run_scripts_as: str | None = None
    # The interpreter script environments are made from; unset: the worker's, or the system's
    # python3 when the run user cannot reach the worker's.
    script_python: str | None = None
    # Keep a Python interpreter started for the next run of a script run twice in a row
    # (runners/warm.py): ~10 ms less per run, one idle interpreter per worker process.
    prestart_interpreters: bool = True
    # Reverse proxies (comma-separated IPs or CIDRs) whose X-Forwarded-For names the client;
    # unset: the header is ignored and the client is the TCP peer (services/addresses.py).
    trusted_proxies: str = ""

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: str) -> str:
        return value.upper() if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        from etlfabric.errors import Invalid
        from etlfabric.services.addresses import parse_networks

        try:
            parse_networks("TRUSTED_PROXIES", value.split(","))
        except Invalid as exc:
            raise ValueError(f"TRUSTED_PROXIES: {exc.message}") from None
        return value

    def trusted_proxy_list(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    def fernet_key_list(self) -> list[str]:
        raw = self.fernet_keys.get_secret_value() if self.fernet_keys else ""
        return [key.strip() for key in raw.split(",") if key.strip()]


def _check_secret_key(settings: Settings) -> None:
    value = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if value.lower() in INSECURE_SECRETS:
        raise ConfigError(
            f"SECRET_KEY is missing or a well-known default; set SECRET_KEY to a random value "
            f"(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))') "
            f"when ENV={settings.env}."
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long.")


def _check_fernet_keys(settings: Settings) -> None:
    keys = settings.fernet_key_list()
    if not keys:
        raise ConfigError(
            "FERNET_KEYS is missing; set it to one or more comma-separated keys from "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"FERNET_KEYS entry {position} is not a valid Fernet key.") from exc


def enforce_secure(settings: Settings) -> None:
    """Refuse insecure secrets outside development; name the variable at fault."""
    if settings.env == "development":
        return
    _check_secret_key(settings)
    _check_fernet_keys(settings)
    if settings.env == "production":
        for name in ("database_url", "redis_url"):
            if not getattr(settings, name):
                raise ConfigError(f"{name.upper()} must be set when ENV=production.")


def _development_secrets(data_dir: Path) -> dict[str, str]:
    """Generate the development secrets once and keep them beside the data."""
    path = data_dir / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "secret_key": secrets.token_urlsafe(48),
        "fernet_keys": Fernet.generate_key().decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return values


def load_settings(**overrides) -> Settings:
    settings = Settings(**overrides)
    enforce_secure(settings)
    if settings.env == "development" and not (settings.secret_key and settings.fernet_keys):
        generated = _development_secrets(settings.data_dir)
        filled = {
            name: value for name, value in generated.items() if getattr(settings, name) is None
        }
        settings = settings.model_copy(update={k: SecretStr(v) for k, v in filled.items()})
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests, and `etlfabric up` after it sets URLs)."""
    get_settings.cache_clear()
