"""A table of jobs, one row each, keyed by job id (never shown: ids mean nothing to people)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable


class JobTable(DataTable[str]):
    """Rows of text keyed by job id; the cursor stays on its job across refreshes."""

    DEFAULT_CSS = """
    JobTable {
        height: 1fr;
    }
    """

    BINDING_GROUP_TITLE = "Job list"
    # Replaces the stock hidden "Select" so the footer says what Enter does here.
    BINDINGS = [Binding("enter", "select_cursor", "Details")]

    def __init__(self, *columns: str, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._columns = columns

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    @property
    def highlighted_job_id(self) -> str | None:
        """The id of the job under the cursor, if any."""
        if not self.row_count:
            return None
        row = min(self.cursor_row, self.row_count - 1)
        return self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value

    def show_rows(self, rows: Iterable[tuple[str, tuple[str, ...]]]) -> None:
        """Replace the rows with (job id, cells) pairs, keeping the cursor on its job
        (or, when that job is gone, on the row that took its place)."""
        keep = self.highlighted_job_id
        index = self.cursor_row
        self.clear()
        for job_id, cells in rows:
            self.add_row(*cells, key=job_id)
        if not self.row_count:
            return
        ids = [row.key.value for row in self.ordered_rows]
        target = ids.index(keep) if keep in ids else min(index, self.row_count - 1)
        self.move_cursor(row=target, animate=False)
