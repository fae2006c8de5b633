import pytest

from core.models import is_reasoning_model
from core.settings import (
    DEFAULT_BASE_URL,
    SettingsError,
    load_dotenv_file,
    model_choices,
    resolve_settings,
)


def test_defaults_when_nothing_is_set():
    settings = resolve_settings({}, {}, {})
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.default_model == "o4-mini"
    assert {"o4-mini", "gpt-4o", "gpt-4o-mini", "o3"} <= set(settings.models)
    assert settings.api_key is None and not settings.has_server_key


def test_secrets_win_over_environment_which_wins_over_dotenv():
    secrets = {"GPTPROTO_API_KEY": "sk-from-secrets"}
    environ = {"GPTPROTO_API_KEY": "sk-from-env", "GPTPROTO_BASE_URL": "http://env/v1/"}
    dotenv = {
        "GPTPROTO_API_KEY": "sk-from-dotenv",
        "GPTPROTO_BASE_URL": "http://dotenv/v1",
        "GPTPROTO_DEFAULT_MODEL": "o3",
    }
    settings = resolve_settings(secrets, environ, dotenv)
    assert settings.api_key == "sk-from-secrets"
    assert settings.base_url == "http://env/v1"  # trailing slash trimmed
    assert settings.default_model == "o3"


def test_blank_values_fall_through_to_the_next_source():
    settings = resolve_settings({"GPTPROTO_API_KEY": "  "}, {"GPTPROTO_API_KEY": "sk-env"}, {})
    assert settings.api_key == "sk-env"


def test_models_list_is_split_and_trimmed():
    settings = resolve_settings({}, {"GPTPROTO_MODELS": " gpt-4o , o3,, claude-x "}, {})
    assert settings.models == ("gpt-4o", "o3", "claude-x")
    assert model_choices(settings)[0] == "o4-mini"  # default stays selectable


def test_hidden_and_extra_models_are_lists():
    settings = resolve_settings(
        {}, {"GPTPROTO_MODELS_HIDDEN": "gpt-4.1-nano, claude-*", "GPTPROTO_MODELS_EXTRA": "house-model"}, {}
    )
    assert settings.models_hidden == ("gpt-4.1-nano", "claude-*")
    assert settings.models_extra == ("house-model",)
    assert resolve_settings({}, {}, {}).models_hidden == ()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("GPTPROTO_STALL_TIMEOUT", "soon", "GPTPROTO_STALL_TIMEOUT must be a number"),
        ("GPTPROTO_CONNECT_TIMEOUT", "0", "greater than zero"),
        ("GPTPROTO_MAX_RETRIES", "-1", "zero or more"),
        ("GPTPROTO_PRICES", "gpt-4o=cheap", "model=input/output"),
        ("GPTPROTO_LIMIT_RESERVE_TOKENS", "0", "GPTPROTO_LIMIT_RESERVE_TOKENS must be at least 1"),
        ("GPTPROTO_LIMIT_RESERVE_TOKENS", "lots", "GPTPROTO_LIMIT_RESERVE_TOKENS must be a whole number"),
        ("GPTPROTO_MODELS_EXTRA", "house model", "GPTPROTO_MODELS_EXTRA entry 'house model': A model id"),
        ("GPTPROTO_RETENTION_DAYS", "0", "GPTPROTO_RETENTION_DAYS must be at least 1"),
        ("GPTPROTO_RETENTION_DAYS", "a year", "GPTPROTO_RETENTION_DAYS must be a whole number"),
        ("GPTPROTO_RETENTION_PINNED", "maybe", "GPTPROTO_RETENTION_PINNED must be true or false"),
    ],
)
def test_bad_values_name_the_setting(name, value, fragment):
    with pytest.raises(SettingsError, match=fragment):
        resolve_settings({}, {name: value}, {})


def test_retention_keeps_everything_unless_a_number_of_days_is_set():
    kept = resolve_settings({}, {}, {})
    assert (kept.retention_days, kept.retention_pinned) == (None, False)
    purged = resolve_settings({}, {"GPTPROTO_RETENTION_DAYS": "365", "GPTPROTO_RETENTION_PINNED": "true"}, {})
    assert (purged.retention_days, purged.retention_pinned) == (365, True)


def test_the_tokens_held_for_an_answer_without_max_completion_tokens_default_to_4096():
    assert resolve_settings({}, {}, {}).limit_reserve_tokens == 4_096
    assert resolve_settings({}, {"GPTPROTO_LIMIT_RESERVE_TOKENS": "16000"}, {}).limit_reserve_tokens == 16_000


def test_prices_parse():
    settings = resolve_settings({}, {"GPTPROTO_PRICES": "gpt-4o=2.5/10, o3=2/8"}, {})
    assert settings.prices == {"gpt-4o": (2.5, 10.0), "o3": (2.0, 8.0)}


def test_api_key_is_not_in_repr():
    settings = resolve_settings({"GPTPROTO_API_KEY": "sk-secret-value"}, {}, {})
    assert "sk-secret-value" not in repr(settings)


def test_dotenv_file_is_read_without_touching_environ(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("GPTPROTO_API_KEY=sk-dotenv\n")
    monkeypatch.delenv("GPTPROTO_API_KEY", raising=False)
    assert load_dotenv_file(env_file) == {"GPTPROTO_API_KEY": "sk-dotenv"}
    assert load_dotenv_file(tmp_path / "missing") == {}
    import os

    assert "GPTPROTO_API_KEY" not in os.environ


@pytest.mark.parametrize(
    ("model", "expected"), [("o4-mini", True), ("o3", True), ("gpt-4o", False), ("omni", False)]
)
def test_reasoning_models(model, expected):
    assert is_reasoning_model(model) is expected


def test_streamlit_config_agrees_with_the_app():
    """Upload limit at least the per-image limit; reruns delivered to the running script."""
    import tomllib

    from core.settings import Settings
    from tests.conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 >= Settings().image_max_bytes
    assert config["runner"]["fastReruns"] is False
