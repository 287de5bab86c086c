"""The daily prompt: the built-in list, the user's file, the pick by date, hiding it."""

from __future__ import annotations

import stat
from datetime import date, timedelta
from pathlib import Path

from backend import prompts
from backend.services.writing import Writing
from backend.settings import Settings

DAY = date(2026, 3, 18)


def test_the_builtin_list_has_about_thirty_distinct_questions() -> None:
    builtin = prompts.builtin_prompts()
    assert 25 <= len(builtin) <= 40
    assert len(set(builtin)) == len(builtin)
    assert all(q.endswith("?") and not q.startswith("#") for q in builtin)


def test_one_question_a_day_and_none_again_until_the_list_has_gone_round() -> None:
    questions = prompts.builtin_prompts()
    days = [DAY + timedelta(days=n) for n in range(len(questions))]
    picked = [prompts.pick(day, questions) for day in days]
    assert sorted(picked) == sorted(questions)  # type: ignore[type-var]
    assert prompts.pick(DAY, questions) == prompts.pick(DAY, list(questions))
    assert prompts.pick(DAY, []) is None


def test_the_users_file_adds_questions_without_comments_blanks_or_repeats(
    settings: Settings,
) -> None:
    builtin = prompts.builtin_prompts()
    path = prompts.user_file(settings.config_file)
    path.write_text(
        f"# my own\n\nWhat did the dog do?\n  What did the dog do?  \n{builtin[0]}\n"
        + "x" * 400
        + "\n",
        encoding="utf-8",
    )
    questions, problem = prompts.all_prompts(settings.config_file)
    assert problem is None
    assert questions == [*builtin, "What did the dog do?", "x" * prompts.MAX_PROMPT_CHARS]


def test_an_unreadable_users_file_is_a_problem_not_a_crash(settings: Settings) -> None:
    path = prompts.user_file(settings.config_file)
    path.mkdir(parents=True)  # A folder where the file should be.
    questions, problem = prompts.all_prompts(settings.config_file)
    assert questions == prompts.builtin_prompts()
    assert problem is not None and str(path) in problem


def test_hiding_lasts_the_day_and_is_private(settings: Settings) -> None:
    writing = Writing(settings)
    question = writing.prompt(DAY)
    assert question in prompts.builtin_prompts()
    writing.hide_prompt(DAY)
    assert writing.prompt(DAY) is None
    # Remembered by another process (a new service reads the file) until the day is over.
    assert Writing(settings).prompt(DAY) is None
    assert Writing(settings).prompt(DAY + timedelta(days=1)) is not None
    path = prompts.hidden_file(settings.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_damaged_hidden_file_means_not_hidden(settings: Settings) -> None:
    path = prompts.hidden_file(settings.data_dir)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert Writing(settings).prompt(DAY) is not None


def test_the_setting_turns_prompts_off(settings: Settings) -> None:
    assert Writing(settings.with_changes(daily_prompt=False)).prompt(DAY) is None


def test_the_data_file_ships_inside_the_backend_package() -> None:
    # Read through importlib.resources, so it must sit beside the module in the wheel.
    assert (Path(prompts.__file__).parent / "prompts.txt").is_file()
