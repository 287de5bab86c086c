"""Settings: defaults, the TOML file, CHARLIE_* overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.errors import SettingsError
from backend.settings import Settings, load_settings, save_settings


def test_defaults_when_no_file(tmp_path: Path) -> None:
    settings = load_settings({"CHARLIE_CONFIG_FILE": str(tmp_path / "none.toml")})
    assert settings.appendfsync == "always"
    assert settings.max_entry_chars == 100_000
    assert settings.broker_url == ""
    assert settings.data_dir.name == "charlie"


def test_file_then_env_override(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('max_entry_chars = 500\ndata_dir = "~/j"\nappendfsync = "everysec"\n')
    env = {"CHARLIE_CONFIG_FILE": str(config), "CHARLIE_MAX_ENTRY_CHARS": "42"}
    settings = load_settings(env)
    assert settings.max_entry_chars == 42
    assert settings.appendfsync == "everysec"
    assert settings.data_dir == Path("~/j").expanduser()
    assert settings.config_file == config


def test_bad_value_in_file_names_key_and_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('max_entry_chars = "lots"\n')
    with pytest.raises(
        SettingsError,
        match=r"max_entry_chars must be a whole number, not 'lots' \(in the config file .*",
    ):
        load_settings({"CHARLIE_CONFIG_FILE": str(config)})


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    env = {"CHARLIE_CONFIG_FILE": str(tmp_path / "x.toml"), "CHARLIE_MAX_ENTRY_CHARS": "1.5"}
    with pytest.raises(SettingsError, match="CHARLIE_MAX_ENTRY_CHARS"):
        load_settings(env)


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="Unknown key 'colour'.*Known keys: appendfsync"):
        load_settings({"CHARLIE_CONFIG_FILE": str(config)})


def test_invalid_choice_names_key_and_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('appendfsync = "sometimes"\n')
    with pytest.raises(SettingsError, match=r"appendfsync must be one of.*c\.toml"):
        load_settings({"CHARLIE_CONFIG_FILE": str(config)})


def test_broken_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("this is = = not toml")
    with pytest.raises(SettingsError, match=r"Cannot read the config file .*c\.toml"):
        load_settings({"CHARLIE_CONFIG_FILE": str(config)})


def test_broker_url_must_be_a_redis_url() -> None:
    with pytest.raises(SettingsError, match="broker_url must start with"):
        Settings(broker_url="http://example")


def test_every_field_has_a_docstring_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name in Settings.__dataclass_fields__:
        assert f"`{name}`" in readme, f"README does not document the setting {name}"


def test_save_settings_validates_then_writes_and_keeps_other_keys(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('default_journal = "Diary"\n')
    settings = load_settings({"CHARLIE_CONFIG_FILE": str(config)})
    with pytest.raises(SettingsError, match="model_linger_seconds must be a number, not 'soon'"):
        save_settings(settings, model_linger_seconds="soon")
    with pytest.raises(SettingsError, match="must be a number"):
        save_settings(settings, job_time_limit_seconds="nan")
    assert config.read_text() == 'default_journal = "Diary"\n'
    updated = save_settings(settings, model_linger_seconds="45", job_time_limit_seconds=90)
    assert updated.model_linger_seconds == 45.0
    again = load_settings({"CHARLIE_CONFIG_FILE": str(config)})
    assert (again.default_journal, again.model_linger_seconds) == ("Diary", 45.0)
    assert again.job_time_limit_seconds == 90.0


def test_bad_paths_and_bounds_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 10 D10/D13: a directory as config file, odd data_dir characters, a relative
    # data_dir, a lease too short to renew.
    monkeypatch.setenv("CHARLIE_CONFIG_FILE", str(tmp_path))
    with pytest.raises(SettingsError, match="Cannot read the config file"):
        load_settings()
    monkeypatch.setenv("CHARLIE_CONFIG_FILE", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path / 'my "journal"'))
    with pytest.raises(SettingsError, match="cannot contain a quote"):
        load_settings()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHARLIE_DATA_DIR", "relative/data")
    assert load_settings().data_dir == tmp_path / "relative" / "data"
    monkeypatch.setenv("CHARLIE_JOB_LEASE_SECONDS", "0.001")
    with pytest.raises(SettingsError, match="job_lease_seconds"):
        load_settings()
