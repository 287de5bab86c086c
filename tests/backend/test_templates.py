"""Entry templates: where they come from, how fields fill, titles, and what is reported."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backend.errors import NotFoundError, SettingsError
from backend.services.writing import Writing
from backend.settings import Settings, load_settings, save_settings, settings_env
from backend.templates import (
    Template,
    field_values,
    fill,
    fill_text,
    folder_for,
    load_templates,
    outline,
    split_title,
    with_text,
)

WHEN = datetime(2026, 3, 18, 7, 5, tzinfo=UTC)  # A Wednesday.


def test_every_field_fills_and_double_braces_are_literal() -> None:
    text = "{date} {time} {weekday} {month} {year} {journal} {{date}} }} {{"
    filled, unknown = fill_text(text, field_values(WHEN, "Work"))
    assert filled == "2026-03-18 07:05 Wednesday March 2026 Work {date} } {"
    assert unknown == []


def test_an_unknown_field_is_left_as_typed_and_reported_once() -> None:
    made = fill(Template("t", "Mood: {mood}\n{mood} {date} {Date} {not closed\n{}"), WHEN, "J")
    # Case does not matter for known fields; the rest stays exactly as typed.
    assert made.body == "Mood: {mood}\n{mood} 2026-03-18 2026-03-18 {not closed\n{}"
    assert made.unknown == ("{mood}",)


def test_fields_use_the_entrys_own_offset() -> None:
    evening = datetime(2026, 3, 18, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert fill(Template("t", "{date} {time} {weekday}"), evening, "J").body == (
        "2026-03-18 23:30 Wednesday"
    )


def test_a_first_heading_line_is_the_title_and_is_filled() -> None:
    made = fill(Template("t", "\n# Morning, {weekday}\n\n## Plans\n- \n"), WHEN, "J")
    assert made.title == "Morning, Wednesday"
    assert made.body == "## Plans\n- \n"
    # A second-level heading is body, not title.
    assert split_title("## Plans\nx")[:2] == ("", "## Plans\nx")
    assert split_title("#tag at the start\n")[:2] == ("", "#tag at the start\n")


def test_front_matter_title_wins_and_other_keys_are_noted() -> None:
    text = "---\ntitle: 'Week {year}'\ntags: work\n---\n# Heading stays\nBody\n"
    made = fill(Template("t", text), WHEN, "J")
    assert made.title == "Week 2026"
    assert made.body == "# Heading stays\nBody\n"
    assert made.notes == ("front matter 'tags' is not used by templates",)
    # A front matter that never closes is ordinary text.
    assert split_title("---\ntitle: x\n")[:2] == ("", "---\ntitle: x\n")


def test_files_and_config_merge_and_a_file_wins_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "Morning.md").write_text("# From the file\n", encoding="utf-8")
    (folder / "gratitude.md").write_text("Three things:\n1. \n", encoding="utf-8")
    (folder / ".hidden.md").write_text("no", encoding="utf-8")
    (folder / "notes.txt").write_text("not a template", encoding="utf-8")
    (folder / "sub.md").mkdir()
    found = load_templates({"morning": "# From config\n", "weekly": "Week {year}"}, folder)
    assert found.names == ["gratitude", "Morning", "weekly"]
    morning = found.find("MORNING")
    assert (
        morning is not None and morning.source == "file" and morning.path == folder / "Morning.md"
    )
    weekly = found.find("weekly")
    assert weekly is not None and weekly.source == "config" and weekly.path is None
    assert found.problems == ()


def test_unreadable_files_are_skipped_with_a_word_not_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "huge.md").write_bytes(b"x" * (64 * 1024 + 1))
    (folder / "fine.md").write_bytes("\ufeff# Fine\r\nLine\r\n".encode())
    found = load_templates({}, folder)
    assert found.names == ["fine"]
    assert [p.split(": ", 1)[1] for p in found.problems] == [
        "larger than 64 KB",
        "it is not UTF-8 text",
    ]
    fine = found.find("fine")
    assert fine is not None and fill(fine, WHEN, "J") == fill(
        Template("x", "# Fine\nLine\n"), WHEN, "J"
    )


def test_no_folder_means_no_templates(tmp_path: Path) -> None:
    found = load_templates({}, tmp_path / "missing")
    assert found.templates == () and found.problems == ()


def test_outline_lists_known_and_unknown_fields() -> None:
    template = Template("t", "# Day {date}\n{time} {mood} {{weekday}} {DATE} {mood}\n")
    assert outline(template) == ("Day {date}", ["date", "time"], ["{mood}"])


def test_text_given_goes_after_the_template() -> None:
    made = fill(Template("t", "## Today\n\n"), WHEN, "J")
    assert with_text(made, "Rain all day.") == "## Today\n\nRain all day."
    assert with_text(made, "  \n") == "## Today\n\n"
    assert with_text(fill(Template("t", "# Only a title\n"), WHEN, "J"), "Text") == "Text"


def test_the_service_fills_by_name_and_names_the_known_ones(settings: Settings) -> None:
    writing = Writing(settings.with_changes(templates={"daily": "# {weekday}\n{journal}"}))
    made = writing.fill("Daily", WHEN, "Work")
    assert (made.title, made.body) == ("Wednesday", "Work")
    with pytest.raises(NotFoundError, match=r"No template named 'nope'\. Known templates: daily\."):
        writing.fill("nope", WHEN, "Work")
    with pytest.raises(NotFoundError, match="there are no templates yet") as raised:
        Writing(settings).fill("nope", WHEN, "Work")
    assert str(folder_for(settings.config_file)) in str(raised.value)


def test_templates_table_in_config_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_journal = "Diary"\n\n[templates]\nmorning = """\n# Morning\nPlans:\n"""\n'
        '"evening review" = "Done today:"\n',
        encoding="utf-8",
    )
    env = {"CHARLIE_CONFIG_FILE": str(config)}
    loaded = load_settings(env)
    assert loaded.templates == {"morning": "# Morning\nPlans:\n", "evening review": "Done today:"}
    # A child process (the worker) gets the same table through the environment.
    child = load_settings({**env, "CHARLIE_TEMPLATES": settings_env(loaded)["CHARLIE_TEMPLATES"]})
    assert child.templates == loaded.templates
    with pytest.raises(SettingsError, match="templates must be a table"):
        load_settings({**env, "CHARLIE_TEMPLATES": "[1, 2]"})
    config.write_text("templates = 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="templates must be a table"):
        load_settings(env)


def test_saving_a_setting_keeps_the_templates_table(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'max_entry_chars = 5000\n[templates]\nmorning = "# Morning\\r\\n\\u0001 \\"q\\""\n'
        '"two words" = "x"\n',
        encoding="utf-8",
    )
    loaded = load_settings({"CHARLIE_CONFIG_FILE": str(config)})
    saved = save_settings(loaded, daily_prompt="false")
    assert saved.daily_prompt is False
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    assert raw == {
        "daily_prompt": False,
        "max_entry_chars": 5000,
        "templates": {"morning": '# Morning\r\n\x01 "q"', "two words": "x"},
    }
    again = load_settings({"CHARLIE_CONFIG_FILE": str(config)})
    assert again.templates == loaded.templates and again.daily_prompt is False
