"""Writing help in the app: `n` with and without templates, the question of the day, and
the reader's width on a wide terminal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Input, OptionList, TextArea

from backend import prompts
from backend.root import Charlie
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    editor,
    make_app,
    open_reader,
    seed,
    settle,
    type_text,
)
from ui.dialogs.template_picker import TemplatePicker
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen

MORNING = "# Morning, {weekday}\n\n## Plans for {date}\n- "


def write_template(api: Charlie, name: str, text: str) -> Path:
    folder = api.settings.config_file.parent / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def today_question() -> str:
    question = prompts.pick(NOW.date(), prompts.builtin_prompts())
    assert question is not None
    return question


def shown(body: TextArea) -> str:
    """What the body draws on its first lines."""
    return "\n".join(body.render_line(y).text for y in range(4))


def fields(screen: EditorScreen) -> tuple[str, str]:
    return (
        screen.query_one("#editor-title", Input).value,
        screen.query_one("#editor-body", TextArea).text,
    )


# -- `n` and templates ----------------------------------------------------------------


async def test_without_templates_n_opens_the_editor_at_once(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        # No picker in between, not even for a frame.
        assert isinstance(app.screen, EditorScreen)
        assert fields(app.screen) == ("", "")


async def test_with_templates_n_enter_and_n_n_still_give_a_blank_entry(api: Charlie) -> None:
    write_template(api, "morning", MORNING)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for second in ("enter", "n"):
            await pilot.press("n")
            await settle(pilot)
            picker = app.screen
            assert isinstance(picker, TemplatePicker)
            assert picker.query_one(OptionList).highlighted == 0
            await pilot.press(second)
            await settle(pilot)
            assert fields(editor(app)) == ("", "")
            await pilot.press("escape")  # Nothing typed: discarded.
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)
        assert api.journal().entries.count() == 0


async def test_a_template_key_fills_title_and_body(api: Charlie) -> None:
    write_template(api, "morning", MORNING)
    write_template(api, "gratitude", "Three good things:\n1. ")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("2")  # Listed by name: gratitude 1, morning 2.
        await settle(pilot)
        screen = editor(app)
        assert fields(screen) == ("Morning, Wednesday", "## Plans for 2026-03-18\n- ")
        assert screen.query_one("#editor-body", TextArea).placeholder == ""
        # The cursor waits at the end of the template, ready for the first plan.
        await type_text(pilot, "swim")
        await pilot.press("escape")
        await settle(pilot)
        (summary,) = api.journal().entries.list().entries
        saved = api.journal().entries.get(summary.id)
        assert (saved.title, saved.body) == (
            "Morning, Wednesday",
            "## Plans for 2026-03-18\n- swim",
        )
        assert saved.entry_at == NOW


async def test_arrows_and_enter_pick_and_escape_cancels(api: Charlie) -> None:
    write_template(api, "morning", MORNING)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("9")  # No ninth template: nothing happens.
        await settle(pilot)
        assert isinstance(app.screen, TemplatePicker)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert fields(editor(app))[0] == "Morning, Wednesday"


async def test_an_untouched_template_is_discarded_like_an_empty_entry(api: Charlie) -> None:
    write_template(api, "morning", MORNING)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("n", "1")
        await settle(pilot)
        editor(app).keep_draft()  # Nothing of the user's in it: no draft either.
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Nothing added to the template: entry discarded" in notes.messages
        assert api.journal().entries.count() == 0
        assert api.journal().drafts.list() == []
        # Cleared to nothing, it is an empty entry like any other (not an error).
        await pilot.press("n", "1")
        await settle(pilot)
        screen = editor(app)
        screen.query_one("#editor-title", Input).value = ""
        screen.query_one("#editor-body", TextArea).text = "  \n"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert notes.messages[-1] == "Empty entry discarded"
        assert api.journal().entries.count() == 0


async def test_an_unknown_field_is_left_and_named(api: Charlie) -> None:
    write_template(api, "mood", "Mood: {mood}\n")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("n", "1")
        await settle(pilot)
        assert fields(editor(app)) == ("", "Mood: {mood}\n")
        assert "Template mood: {mood} is not a field; left as typed" in notes.messages


# -- the question of the day ----------------------------------------------------------


async def test_the_question_shows_in_an_empty_new_entry_and_is_never_saved(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        body = editor(app).query_one("#editor-body", TextArea)
        assert body.placeholder == f"{today_question()}\n\n(Ctrl+G hides today's question)"
        assert body.text == ""
        assert today_question() in shown(body)
        await type_text(pilot, "Fine")
        await settle(pilot)
        assert today_question() not in shown(body)
        assert shown(body).startswith("Fine")
        await pilot.press("escape")
        await settle(pilot)
        (summary,) = api.journal().entries.list().entries
        assert api.journal().entries.get(summary.id).body == "Fine"


async def test_ctrl_g_hides_it_for_today_and_it_stays_hidden(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = editor(app)
        assert screen.check_action("hide_prompt", ())
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert screen.query_one("#editor-body", TextArea).placeholder == ""
        assert not screen.check_action("hide_prompt", ())
        assert "Today's question is hidden until tomorrow" in notes.messages
        await pilot.press("escape")
        await settle(pilot)
        # The next new entry today has none, in this app or another one.
        await pilot.press("n")
        await settle(pilot)
        assert editor(app).query_one("#editor-body", TextArea).placeholder == ""
    assert prompts.hidden_on(api.settings.data_dir) == NOW.date()
    tomorrow = make_app(api)
    tomorrow.clock = lambda: NOW + timedelta(days=1)
    async with tomorrow.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert editor(tomorrow).query_one("#editor-body", TextArea).placeholder != ""


async def test_no_question_when_editing_an_entry(api: Charlie) -> None:
    seed(api, (NOW - timedelta(hours=1), "", "Old words"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = editor(app)
        screen.query_one("#editor-body", TextArea).text = ""
        await settle(pilot)
        assert screen.query_one("#editor-body", TextArea).placeholder == ""
        assert not screen.check_action("hide_prompt", ())
        await pilot.press("ctrl+r")
        await settle(pilot)


async def test_the_setting_turns_the_question_off(api: Charlie) -> None:
    api.save_settings(daily_prompt=False)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert editor(app).query_one("#editor-body", TextArea).placeholder == ""


async def test_a_users_question_can_be_the_days(api: Charlie) -> None:
    builtin = prompts.builtin_prompts()
    # Enough of the user's own that today's pick lands on one of them.
    mine = [f"Mine number {n}?" for n in range(len(builtin) * 3)]
    prompts.user_file(api.settings.config_file).write_text("\n".join(mine), encoding="utf-8")
    expected = prompts.pick(NOW.date(), builtin + mine)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        placeholder = str(editor(app).query_one("#editor-body", TextArea).placeholder)
        assert placeholder.startswith(f"{expected}\n")


# -- the reader's width ---------------------------------------------------------------


async def test_the_reader_keeps_lines_readable_on_a_wide_terminal(api: Charlie) -> None:
    seed(api, (NOW, "Long", "word " * 400))
    for size, widest in (((200, 40), 88), ((80, 30), None)):
        app = make_app(api)
        async with app.run_test(size=size) as pilot:
            reader = await open_reader(pilot)
            body = reader.query_one("#reader-body")
            scroll = reader.query_one("#reader-scroll")
            if widest is None:
                # Narrow: the body takes the whole column, as before.
                assert body.outer_size.width == scroll.scrollable_content_region.width
            else:
                assert body.outer_size.width == widest
                assert scroll.scrollable_content_region.width > 120
