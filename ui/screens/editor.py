"""Write a new entry or change one: a title, a date and time, and a Markdown body.

The rule this screen lives by is that nothing typed is ever lost. Leaving saves; a
save that fails (a bad date, a body over the limit, a broken connection) shows why
and leaves every field as it was, and the screen stays open until a save succeeds.

What is on screen is also kept as a draft in the database (ui/draft_keeper.py): a
moment after the last keystroke, when the focus moves between fields, when a save
fails, and on SIGHUP/SIGTERM (through the app). Saving the entry removes the draft in
the same transaction. The only things ever thrown away are a new entry with nothing
typed in it, changes the user discards on purpose (Ctrl+R), and "mine" when the user
keeps the other version of a conflict.

An edit is saved against the revision it began from: if the entry changed elsewhere
meanwhile, the conflict view shows both versions (ui/dialogs/edit_conflict.py); if it
was deleted, the user can save the text as a new entry (ui/dialogs/entry_gone.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import partial

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, TextArea
from textual.worker import Worker

from backend.drafts import Draft, new_draft_id
from backend.errors import CharlieError, EditConflict, NotFoundError
from backend.models import Entry, split_tags
from backend.services.writing import Filled
from backend.validation import parse_entry_date
from ui import timeline
from ui.daily_prompt import HIDE_KEY, DailyPrompt
from ui.dialogs.confirm import ConfirmAction
from ui.dialogs.edit_conflict import EditConflict as ConflictView
from ui.dialogs.edit_conflict import copy_title
from ui.dialogs.entry_gone import EntryGone
from ui.draft_keeper import DraftKeeper, Snapshot
from ui.draft_offers import DraftOffers, Offer, load_offers, unclaimed
from ui.messages import EntriesChanged
from ui.widgets.editor_status import EditorStatus
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


class EditorScreen(BackendWorkers, Screen[Entry | None]):
    """Dismisses with the saved Entry, or None when nothing needed saving."""

    HELP_TITLE = "Editor"
    EDITING_REFRESH_SECONDS = 10.0
    """How often the "user is typing" flag is renewed (the backend forgets it after 30 s)."""
    TICK_SECONDS = 0.2
    """How often the word count and the draft timer are looked at. A keystroke only notes
    the time, so typing never pays for counting words or writing drafts."""
    BINDINGS = [
        Binding("escape", "save", "Save & close"),
        Binding("ctrl+s", "save", "Save & close", priority=True),
        Binding("ctrl+r", "discard", "Discard"),
        # Shown only while there is a question to hide; the question itself says so.
        Binding(HIDE_KEY, "hide_prompt", "Hide today's question", show=False),
    ]

    class Saved(Message):
        """The backend stored the entry."""

        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    class Conflicted(Message):
        """The entry was changed elsewhere since the edit began; nothing was written."""

        def __init__(self, current: Entry) -> None:
            super().__init__()
            self.current = current

    class Gone(Message):
        """The entry was deleted elsewhere; nothing was written."""

    class DraftWritten(Message):
        """A draft write ended (``error`` None: it is stored, or removed as not needed)."""

        def __init__(self, keeper: DraftKeeper, error: str | None) -> None:
            super().__init__()
            self.keeper = keeper
            self.error = error

    class DraftsFound(Message):
        """Drafts of the entry being edited, left by editors that are gone."""

        def __init__(self, offers: list[Offer]) -> None:
            super().__init__()
            self.offers = offers

    def __init__(
        self,
        entry: Entry | None = None,
        *,
        draft: Draft | None = None,
        offer_drafts: bool = True,
        template: Filled | None = None,
    ) -> None:
        """``draft``: restore this draft (its text, and its id goes on being written).
        ``offer_drafts``: offer drafts of ``entry`` left by editors that are gone.
        ``template``: a new entry starts with this title and body."""
        super().__init__()
        self._template = template
        self._prompt: DailyPrompt | None = None
        self.entry = entry
        """The entry being changed as it was when the edit began (None for a new one)."""
        self.session = new_draft_id()
        """This editor's name in the "open in another window" marks."""
        self._restoring = draft
        self._offer_drafts = offer_drafts and entry is not None
        self._opened_at: datetime | None = None
        self._initial_date = ""
        self._saving = False
        self._then_quit = False
        self._saved_note: str | None = None
        self._resolving = False
        self._gone = False
        self._changed_at: float | None = None
        self._count_stale = True
        self._keeper: DraftKeeper | None = None

    @property
    def is_new(self) -> bool:
        """True when writing a new entry rather than changing one."""
        return self.entry is None

    @property
    def keeper(self) -> DraftKeeper:
        """This session's draft (made on mount, when the journal is known)."""
        assert self._keeper is not None, "the editor is not mounted"
        return self._keeper

    @property
    def draft_id(self) -> str:
        """The id this editor's draft is written under."""
        return self.keeper.draft_id

    @property
    def drafts_on(self) -> bool:
        return self.api.settings.draft_seconds > 0

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="editor-form"):
            with Horizontal(id="editor-fields"):
                yield Label("Title", classes="editor-label")
                # No select-all on focus: Shift+Tab from the body lands here, and the
                # first key would wipe the field.
                yield Input(placeholder="optional", id="editor-title", select_on_focus=False)
                yield Label("When", classes="editor-label")
                yield Input(placeholder="YYYY-MM-DD HH:MM", id="editor-date", select_on_focus=False)
                yield Label("Tags", classes="editor-label")
                yield Input(placeholder="work, travel", id="editor-tags", select_on_focus=False)
            yield TextArea(id="editor-body", soft_wrap=True, show_line_numbers=False)
        yield EditorStatus(self.session, id="editor-status")
        yield CharlieFooter()

    def on_mount(self) -> None:
        # While the editor is open the worker does not load the model, so typing
        # never stutters; the flag expires by itself if Charlie dies meanwhile.
        self.charlie.report_editing(True)
        self.set_interval(self.EDITING_REFRESH_SECONDS, self._still_editing)
        now = self.charlie.now()
        self._opened_at = now
        shown = now if self.entry is None else self.entry.entry_at
        self._initial_date = timeline.editor_date(shown)
        draft = self._restoring
        self._keeper = DraftKeeper(
            self.api,
            self._journal,
            draft.id if draft is not None else new_draft_id(),
            entry_id=None if self.entry is None else self.entry.id,
            base_revision=self._base_revision(draft),
            stored=None if draft is None else Snapshot.of_draft(draft),
        )
        self._show_mode()
        title, date, body = self._widgets()
        date.value = self._initial_date
        if self.entry is not None:
            title.value = self.entry.title
            body.load_text(self.entry.body)
            # The text's own #tags stay in the text; the field holds the others.
            self.query_one("#editor-tags", Input).value = " ".join(self.entry.own_tags)
        if draft is not None:
            self._fill(Snapshot.of_draft(draft))
        elif self.entry is None:
            self._start_new()
        # A blinking cursor is an animation; honour the app's animation setting (and
        # keep snapshots, which switch animations off, stable).
        blink = self.app.animation_level != "none"
        title.cursor_blink = date.cursor_blink = body.cursor_blink = blink
        body.focus()
        if self.entry is not None or draft is not None:
            body.move_cursor(body.document.end)
        self._update_count()
        self.set_interval(self.TICK_SECONDS, self._tick)
        self._follow()
        if self._offer_drafts:
            self._find_drafts()

    def _base_revision(self, draft: Draft | None) -> int:
        if self.entry is None:
            return 0
        if draft is not None and draft.entry_id == self.entry.id:
            return draft.base_revision
        return self.entry.revision

    def _show_mode(self) -> None:
        if self.entry is None:
            mode = "New entry"
        else:
            mode = "Edit entry (deleted elsewhere)" if self._gone else "Edit entry"
        self.sub_title = f"{self._journal} · {mode}"

    def _still_editing(self) -> None:
        self.charlie.report_editing(True)

    def on_unmount(self) -> None:
        self.charlie.report_editing(False)

    @property
    def status(self) -> EditorStatus:
        """The line under the text."""
        return self.query_one(EditorStatus)

    def _follow(self) -> None:
        """Mark what this editor has open (its draft, its entry) for other windows."""
        entry_id = None if self.entry is None else self.entry.id
        self.status.follow(self.keeper.journal, self.keeper.draft_id, entry_id)

    def _widgets(self) -> tuple[Input, Input, TextArea]:
        return (
            self.query_one("#editor-title", Input),
            self.query_one("#editor-date", Input),
            self.query_one("#editor-body", TextArea),
        )

    def snapshot(self) -> Snapshot:
        """What the fields hold now."""
        title, date, body = self._widgets()
        tags = self.query_one("#editor-tags", Input).value
        return Snapshot(title.value, date.value, body.text, tags)

    def _fill(self, snapshot: Snapshot) -> None:
        title, date, body = self._widgets()
        title.value, date.value = snapshot.title, snapshot.when
        if snapshot.tags is not None:
            self.query_one("#editor-tags", Input).value = snapshot.tags
        body.load_text(snapshot.body)
        body.move_cursor(body.document.end)

    def _is_clean(self, snapshot: Snapshot) -> bool:
        """Nothing unsaved: an empty new entry, or an edit that matches the entry."""
        if self.entry is None:
            title, body = snapshot.title.strip(), snapshot.body.strip()
            start = self._template or Filled("", "")
            # Empty, or the template exactly as it was filled in: nothing of the user's.
            return (not title and not body) or (
                title == start.title.strip() and body == start.body.strip()
            )
        return (
            snapshot.title.strip() == self.entry.title
            and snapshot.body == self.entry.body
            and snapshot.when.strip() == self._initial_date
            and (snapshot.tags is None or split_tags(snapshot.tags) == self.entry.own_tags)
        )

    # -- a new entry's start: a template, or the question of the day -------------------

    def _start_new(self) -> None:
        title, _date, body = self._widgets()
        if self._template is None:
            self._prompt = DailyPrompt(self.charlie, body)
            self._prompt.ask()
            return
        title.value = self._template.title
        body.load_text(self._template.body)
        body.move_cursor(body.document.end)

    def action_hide_prompt(self) -> None:
        """Hide the question of the day until tomorrow (Ctrl+G)."""
        if self._prompt is not None:
            self._prompt.hide()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ctrl+G only while a question is shown."""
        if action == "hide_prompt":
            return self._prompt is not None and self._prompt.showing
        return True

    # -- keeping the draft -------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._changed()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._changed()

    def _changed(self) -> None:
        # All a keystroke costs: the tick does the rest.
        self._changed_at = time.monotonic()
        self._count_stale = True

    def _tick(self) -> None:
        if self._count_stale:
            self._update_count()
        seconds = self.api.settings.draft_seconds
        if (
            self._changed_at is not None
            and not self._saving
            and time.monotonic() - self._changed_at >= seconds
        ):
            self.keep_draft()

    def _update_count(self) -> None:
        self._count_stale = False
        self.status.show_count(self._widgets()[2].text)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Focus moved on (to another field, or a dialog): keep what was typed."""
        self.keep_draft()

    def keep_draft(self) -> None:
        """Write the draft in the background if the text differs from what is stored."""
        self._changed_at = None
        if not self.drafts_on or self._keeper is None:
            return
        try:
            snapshot = self.snapshot()
        except NoMatches:
            return  # The screen is being taken down (after a save or a discard).
        clean = self._is_clean(snapshot)
        if self.keeper.needs_write(snapshot, clean):
            self.keeper.offer(snapshot, clean)
            self._write_draft(self.keeper)

    def keep_draft_now(self) -> None:
        """Write the draft here and now, waiting for it (on SIGHUP/SIGTERM, or quitting
        past a failed save: the app is about to end)."""
        if not self.drafts_on or self._keeper is None:
            return
        snapshot = self.snapshot()
        clean = self._is_clean(snapshot)
        if self.keeper.needs_write(snapshot, clean):
            self.keeper.offer(snapshot, clean)
            try:
                self.keeper.flush(wait=DraftKeeper.LOCK_SECONDS)
            except CharlieError as error:
                self.log.error("Could not keep the draft", error)

    @work(thread=True, group="editor-draft", exit_on_error=False)
    def _write_draft(self, keeper: DraftKeeper) -> None:
        # The keeper is passed in: a restored draft can replace self.keeper meanwhile,
        # and this write belongs to the one that was offered the text.
        try:
            keeper.flush()
        except CharlieError as error:
            # Not a dialog: typing goes on, the status line says it, and the next
            # keystroke (or the timer) tries again.
            self.post_message(self.DraftWritten(keeper, str(error)))
            return
        self.post_message(self.DraftWritten(keeper, None))

    def on_editor_screen_draft_written(self, message: DraftWritten) -> None:
        """Say whether the text on screen is kept."""
        if message.keeper is not self._keeper:
            return
        if message.error is not None:
            self.status.show_draft(f"Draft not kept: {message.error}", error=True)
            if self._changed_at is None:
                self._changed_at = time.monotonic()  # Try again after the usual pause.
            return
        when = timeline.moment(self.charlie.now(), self.charlie.now())
        self.status.show_draft(f"Draft kept {when}" if message.keeper.has_draft else "")

    # -- saving --------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save and close (Escape, Ctrl+S)."""
        self.save()

    def save(self, *, then_quit: bool = False) -> None:
        """Save what is in the fields; close on success, stay open on any error.

        Ctrl+S and Ctrl+Q are priority keys, which the app handles before the focused
        field has handled the keys typed just before them (those wait in the field's
        own queue). So the save is queued behind them, and a fast typist's last
        letters are in the saved text.
        """
        field = self.focused or self
        field.call_later(self._save_now, then_quit=then_quit)

    def _save_now(self, *, then_quit: bool) -> None:
        if self._saving:
            # A save is under way; when it lands it also quits, if that was asked for.
            self._then_quit = self._then_quit or then_quit
            return
        if self._resolving:
            # A conflict (or a deleted entry) waits for the user's choice. Quitting
            # now keeps the text as a draft; it is offered on the next start.
            if then_quit:
                self.charlie.keep_drafts_and_exit()
            return
        self._then_quit = then_quit
        title_box, date_box, body_box = self._widgets()
        title, date_text, body = title_box.value, date_box.value, body_box.text
        if self.entry is None and self._is_clean(Snapshot(title, date_text, body)):
            self.notify(
                "Nothing added to the template: entry discarded"
                if self._template is not None and (title.strip() or body.strip())
                else "Empty entry discarded"
            )
            self._discard_draft()
            self._close(None)
            return
        try:
            when = self._entry_time(date_text)
        except CharlieError as error:
            self._then_quit = False
            date_box.focus()
            self.keep_draft()
            self.charlie.show_error(error)
            return
        if self._gone:
            self._ask_gone(then_quit)
            return
        if self.entry is not None and self._unchanged(title, body, when):
            self._discard_draft()  # It can only hold text that is saved after all.
            self._close(None)
            return
        self._saving = True
        self.query_one("#editor-form").loading = True
        self._store(title, body, when, tags=self._given_tags())

    def _entry_time(self, text: str) -> datetime | None:
        """The time to store, or None to keep an edited entry's time exactly as it was."""
        if text.strip() == self._initial_date:
            # Untouched: keep the seconds and the offset the field does not show.
            return self._opened_at if self.entry is None else None
        now = self.charlie.now()
        if self.entry is not None and self.entry.entry_at.tzinfo is not None:
            # The field showed the entry's own wall time, so a typed time without an
            # offset means the same zone, not the reader's.
            now = now.astimezone(self.entry.entry_at.tzinfo)
        return parse_entry_date(text, now=now)

    def _unchanged(self, title: str, body: str, when: datetime | None) -> bool:
        assert self.entry is not None
        return (
            when is None
            and title.strip() == self.entry.title
            and body == self.entry.body
            and self._given_tags() == self.entry.own_tags
        )

    def _given_tags(self) -> tuple[str, ...]:
        """The tags typed in the Tags field (commas or spaces between them)."""
        return split_tags(self.query_one("#editor-tags", Input).value)

    @work(thread=True, exclusive=True, group="editor-save", exit_on_error=False)
    def _store(
        self, title: str, body: str, when: datetime | None, *, tags: tuple[str, ...] = ()
    ) -> None:
        keeper, entry, api = self.keeper, self.entry, self.api
        try:
            if entry is None:
                assert when is not None
                saved = keeper.finish(
                    lambda: api.journal(keeper.journal).entries.add(
                        body,
                        title=title,
                        entry_at=when,
                        draft_id=keeper.draft_id,
                        tags=tags,
                    )
                )
            else:
                saved = keeper.finish(
                    lambda: api.journal(keeper.journal).entries.edit(
                        entry.id,
                        title=title,
                        body=body,
                        entry_at=when,
                        expected_revision=keeper.base_revision,
                        draft_id=keeper.draft_id,
                        tags=tags,
                    )
                )
        except EditConflict as conflict:
            assert isinstance(conflict.current, Entry)
            self.post_message(self.Conflicted(conflict.current))
            return
        except NotFoundError:
            if entry is None:
                raise
            # A journal renamed or deleted elsewhere is another matter: this raises
            # its own NotFoundError, reported as any error.
            api.journals.get(keeper.journal)
            self.post_message(self.Gone())
            return
        self.post_message(self.Saved(saved))

    @property
    def _journal(self) -> str:
        return self.entry.journal if self.entry is not None else self.charlie.journal

    def on_editor_screen_saved(self, message: Saved) -> None:
        """Tell the other screens and close."""
        self._stop_saving()
        self.app.post_message(EntriesChanged(message.entry.id))
        self.notify(self._saved_note or ("Entry saved" if self.is_new else "Changes saved"))
        self._close(message.entry)

    def _stop_saving(self) -> None:
        self._saving = False
        self.query_one("#editor-form").loading = False

    def worker_failed(self, worker: Worker[object]) -> None:
        """Give the fields back, untouched, so the user can fix what was wrong."""
        if worker.group != "editor-save":
            return
        self._stop_saving()
        self._then_quit = False
        self.query_one("#editor-body", TextArea).focus()
        self.keep_draft()

    def _close(self, result: Entry | None) -> None:
        if self._then_quit:
            self.app.exit()
        else:
            self.dismiss(result)

    # -- when the entry changed or went away elsewhere ------------------------------------

    def _stopped_for_a_question(self) -> bool:
        """Give the fields back after a save that needs the user's choice; True if the
        save was on the way to quitting."""
        self._stop_saving()
        self.keep_draft()
        then_quit, self._then_quit = self._then_quit, False
        if then_quit:
            self.charlie.save_to_quit_stopped()
        self._resolving = True
        return then_quit

    def on_editor_screen_conflicted(self, message: Conflicted) -> None:
        """Show both versions and let the user choose; nothing was overwritten."""
        then_quit = self._stopped_for_a_question()
        began = self.entry
        assert began is not None
        view = ConflictView(
            self.snapshot(), message.current, began, now=self.charlie.now(), offer_quit=then_quit
        )
        self.app.push_screen(view, partial(self._conflict_resolved, message.current, then_quit))

    def _conflict_resolved(self, theirs: Entry, then_quit: bool, choice: str | None) -> None:
        self._resolving = False
        if choice == "mine":
            # Save over theirs, knowingly: the edit now starts from their revision.
            self.entry = theirs
            self.keeper.base_revision = theirs.revision
            self._save_now(then_quit=then_quit)
        elif choice == "both":
            title = self.query_one("#editor-title", Input)
            title.value = copy_title(title.value)
            self._become_new()
            self._saved_note = "Both kept: yours is saved as a new entry"
            self._save_now(then_quit=then_quit)
        elif choice == "theirs":
            self._discard_draft()
            self.notify("Kept the version saved elsewhere; your changes were dropped")
            self.app.post_message(EntriesChanged(theirs.id))
            self._then_quit = then_quit
            self._close(theirs)
        else:
            self.query_one("#editor-body", TextArea).focus()

    def on_editor_screen_gone(self, message: Gone) -> None:
        """The entry was deleted elsewhere: offer to save the text as a new entry."""
        then_quit = self._stopped_for_a_question()
        self._gone = True
        self._show_mode()
        self._ask_gone(then_quit)

    def _ask_gone(self, then_quit: bool) -> None:
        """Ask what to do with the text of a deleted entry (again, on every save: the
        entry is not tried again, so this is the way out, never a loop)."""
        self._resolving = True
        if self._then_quit:
            self._then_quit = False
            self.charlie.save_to_quit_stopped()
        name = "" if self.entry is None else self.entry.display_title
        dialog = EntryGone(name, offer_quit=then_quit)
        self.app.push_screen(dialog, partial(self._gone_resolved, then_quit))

    def _gone_resolved(self, then_quit: bool, choice: str | None) -> None:
        self._resolving = False
        if choice == "new":
            self._become_new()
            self._saved_note = "Saved as a new entry"
            self._save_now(then_quit=then_quit)
        elif choice == "discard":
            self._discard_draft()
            self.notify("Changes discarded")
            self._then_quit = then_quit
            self._close(None)
        else:
            self.query_one("#editor-body", TextArea).focus()

    def _become_new(self) -> None:
        """From now on this editor writes a new entry (the edited one stays as it is, or
        is gone); an untouched When keeps the old entry's time."""
        old = self.entry
        assert old is not None
        self.entry = None
        self._opened_at = old.entry_at
        self._gone = False
        self.keeper.entry_id = None
        self.keeper.base_revision = 0
        self._show_mode()
        self._follow()

    # -- discarding on purpose ---------------------------------------------------------

    def action_discard(self) -> None:
        """Close without saving, after asking (Ctrl+R)."""
        if self._saving or self._resolving:
            return
        if self._is_clean(self.snapshot()) and not self.keeper.has_draft:
            self.dismiss(None)
            return
        question = "Discard this entry?" if self.is_new else "Discard your changes?"
        detail = (
            "What you wrote here is thrown away and not kept as a draft."
            if self.is_new
            else "The entry stays as it was last saved; what you changed here is thrown away."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._discard_draft()
                self.notify("Discarded")
                self.dismiss(None)

        self.app.push_screen(ConfirmAction(question, detail, yes="Discard"), answered)

    def _discard_draft(self) -> None:
        # On the app, not this screen: the screen closes now, and its workers with it.
        self.app.run_worker(
            self.keeper.discard, thread=True, group="draft-discard", exit_on_error=False
        )

    # -- drafts left by editors that are gone ------------------------------------------

    @work(thread=True, exclusive=True, group="editor-drafts", exit_on_error=False)
    def _find_drafts(self) -> None:
        entry, keeper, api = self.entry, self.keeper, self.api
        assert entry is not None
        mine = [d for d in api.journal(keeper.journal).drafts.list() if d.entry_id == entry.id]
        mine = [d for d in mine if d.id != keeper.draft_id]
        offers = load_offers(api, unclaimed(api, mine, self.session))
        if offers:
            self.post_message(self.DraftsFound(offers))

    def on_editor_screen_drafts_found(self, message: DraftsFound) -> None:
        """Offer each draft of this entry, one at a time."""
        DraftOffers(self.charlie, message.offers, self._restore).start()

    def _restore(self, offer: Offer, then: Callable[[], None]) -> None:
        """Put the draft's text in the fields and go on writing that draft."""
        draft = offer.draft
        if self._saving or self._resolving or not self.is_attached:
            return
        # What was typed here before the offer was answered is kept as its own draft.
        self.keep_draft()
        self._keeper = DraftKeeper(
            self.api,
            self._journal,
            draft.id,
            entry_id=self.keeper.entry_id,
            base_revision=self._base_revision(draft),
            stored=Snapshot.of_draft(draft),
        )
        self._fill(Snapshot.of_draft(draft))
        self._changed_at = None
        self._follow()
        self.notify("Draft restored")
        then()
