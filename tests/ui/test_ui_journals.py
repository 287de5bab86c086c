"""The journal switcher's entry counts and deleting a journal from it."""

from __future__ import annotations

from textual.widgets import Button, Input, OptionList

from backend.root import Charlie
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, type_text
from ui.dialogs.delete_journal import DeleteJournal
from ui.dialogs.error import ErrorDialog
from ui.dialogs.journals import JournalSwitcher
from ui.screens.home import HomeScreen


def _prompts(switcher: JournalSwitcher) -> list[str]:
    return [str(option.prompt) for option in switcher.query_one(OptionList).options]


def _highlight(switcher: JournalSwitcher, name: str) -> None:
    options = switcher.query_one(OptionList)
    options.highlighted = [o.id for o in options.options].index(name)


async def test_the_switcher_shows_each_journals_entry_count(api: Charlie) -> None:
    seed(api, (NOW, "", "At home"))
    api.journals.create("Work")
    seed(api, (NOW, "", "One"), (NOW, "", "Two"), journal="Work")
    api.journals.create("Empty")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        switcher = app.screen
        assert isinstance(switcher, JournalSwitcher)
        prompts = [" ".join(p.split()) for p in _prompts(switcher)]
        assert prompts == ["Empty 0 entries", "Journal (open) 1 entry", "Work 2 entries"]


async def test_delete_asks_for_the_name_then_deletes_after_a_backup(api: Charlie) -> None:
    seed(api, (NOW, "", "At home"))
    api.journals.create("Work")
    seed(api, (NOW, "", "One"), (NOW, "", "Two"), journal="Work")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        switcher = app.screen
        assert isinstance(switcher, JournalSwitcher)
        _highlight(switcher, "Work")
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DeleteJournal)
        assert "It holds 2 entries." in str(dialog.query_one("#delete-journal-detail").render())
        delete = dialog.query_one("#delete-journal-yes", Button)
        await type_text(pilot, "Wor")
        assert delete.disabled
        await pilot.press("enter")  # Not the name: nothing happens.
        await settle(pilot)
        assert app.screen is dialog
        await type_text(pilot, "k")
        assert not delete.disabled
        await pilot.press("enter")
        await settle(pilot)

        assert app.screen is switcher
        assert [" ".join(p.split()) for p in _prompts(switcher)] == ["Journal (open) 1 entry"]
        assert [j.name for j in api.journals.list()] == ["Journal"]
        assert list((api.settings.data_dir / "backups").glob("*-manual.backup"))
        assert app.journal == "Journal"


async def test_escape_keeps_the_journal(api: Charlie) -> None:
    api.journals.get()
    api.journals.create("Work")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        _highlight(app.screen, "Work")  # type: ignore[arg-type]
        await pilot.press("d")
        await settle(pilot)
        await type_text(pilot, "Work")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, JournalSwitcher)
        assert [j.name for j in api.journals.list()] == ["Journal", "Work"]


async def test_deleting_the_open_journal_opens_the_default_one(api: Charlie) -> None:
    seed(api, (NOW, "", "At home"))
    api.journals.create("Work")
    seed(api, (NOW, "", "One"), journal="Work")
    app = make_app(api, journal="Work")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.journal == "Work"
        await pilot.press("j")
        await settle(pilot)
        assert app.screen.highlighted_name == "Work"  # type: ignore[attr-defined]
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DeleteJournal)
        app.screen.query_one(Input).value = "work"
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, HomeScreen), getattr(app.screen, "message", "")
        assert (app.journal, app.sub_title) == ("Journal", "Journal")
        assert [j.name for j in api.journals.list()] == ["Journal"]


async def test_the_only_journal_is_not_offered_for_deletion(api: Charlie) -> None:
    seed(api, (NOW, "", "At home"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, JournalSwitcher)
        assert api.journal().entries.count() == 1


async def test_a_failed_backup_shows_the_error_and_deletes_nothing(api: Charlie) -> None:
    api.journals.get()
    api.journals.create("Work")
    seed(api, (NOW, "", "Safe"), journal="Work")
    (api.settings.data_dir / "backups").write_text("not a folder")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        switcher = app.screen
        _highlight(switcher, "Work")  # type: ignore[arg-type]
        await pilot.press("d")
        await settle(pilot)
        app.screen.query_one(Input).value = "Work"
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, ErrorDialog)
        assert "nothing was deleted" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is switcher
        assert not switcher.query_one(OptionList).loading
        assert api.journal("Work").entries.count() == 1


async def test_dead_jobs_says_when_there_are_none(api: Charlie) -> None:
    from textual.widgets import Static

    from ui.screens.dead_jobs import DeadJobsScreen

    seed(api, (NOW, "", "Nothing went wrong"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_open_dead()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeadJobsScreen)
        empty = screen.query_one("#dead-empty", Static)
        assert empty.display and "No dead jobs." in str(empty.render())
        assert not screen.query_one("#dead-intro").display
        assert not screen.query_one("#dead-table").display
