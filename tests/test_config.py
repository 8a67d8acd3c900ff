import json
import stat

import pytest
from cryptography.fernet import Fernet

from etlfabric.config import load_settings
from etlfabric.errors import ConfigError

GOOD_KEY = "k" * 40


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "FERNET_KEYS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


@pytest.mark.parametrize("env", ["production", "test"])
@pytest.mark.parametrize("secret", [None, "changeme", "secret", "short-but-random"])
def test_refuses_missing_or_default_secret_key(clean_env, env, secret):
    clean_env.setenv("ENV", env)
    clean_env.setenv("FERNET_KEYS", Fernet.generate_key().decode())
    if secret is not None:
        clean_env.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize("keys", [None, "", "not-a-fernet-key"])
def test_refuses_missing_or_invalid_fernet_keys(clean_env, keys):
    clean_env.setenv("ENV", "production")
    clean_env.setenv("SECRET_KEY", GOOD_KEY)
    if keys is not None:
        clean_env.setenv("FERNET_KEYS", keys)
    with pytest.raises(ConfigError, match="FERNET_KEYS"):
        load_settings()


def test_production_needs_database_and_redis(clean_env):
    clean_env.setenv("ENV", "production")
    clean_env.setenv("SECRET_KEY", GOOD_KEY)
    clean_env.setenv("FERNET_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings()
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/db")
    with pytest.raises(ConfigError, match="REDIS_URL"):
        load_settings()
    clean_env.setenv("REDIS_URL", "redis://localhost:6379/0")
    assert load_settings().env == "production"


def test_rotation_keys_are_all_accepted(clean_env):
    clean_env.setenv("ENV", "test")
    clean_env.setenv("SECRET_KEY", GOOD_KEY)
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    clean_env.setenv("FERNET_KEYS", " , ".join(keys))
    assert load_settings().fernet_key_list() == keys


def test_development_generates_secrets_once_and_privately(clean_env, tmp_path):
    clean_env.setenv("ENV", "development")
    first = load_settings()
    second = load_settings()
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert len(first.secret_key.get_secret_value()) >= 32
    stored = tmp_path / "secrets.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())["fernet_keys"] == first.fernet_key_list()[0]


def test_secrets_are_masked_in_repr(clean_env):
    clean_env.setenv("ENV", "test")
    clean_env.setenv("SECRET_KEY", GOOD_KEY)
    clean_env.setenv("FERNET_KEYS", Fernet.generate_key().decode())
    assert GOOD_KEY not in repr(load_settings())


def test_bad_value_names_the_variable(clean_env):
    clean_env.setenv("WEB_PORT", "not-a-port")
    with pytest.raises(ValueError, match="web_port"):
        load_settings()
