"""Review decisions on the undo stack: the store's ``ReviewOutcome`` holds all it takes to put
things back, so undo is ``review.undo(outcome)`` and redo makes the same decision again."""

from __future__ import annotations

from collections.abc import Callable

from videoseg_desktop.core.review_records import ReviewOutcome
from videoseg_desktop.core.text import plural
from videoseg_desktop.ui.project.undo_commands import StoreCommand


class ReviewCommand(StoreCommand):
    def __init__(
        self,
        session,
        text: str,
        decide: Callable[[], ReviewOutcome],
        media_id: int | None = None,
        frame: int | None = None,
    ):
        super().__init__(session, text, media_id, frame)
        self.decide = decide
        self.outcome: ReviewOutcome | None = None

    def do(self) -> None:
        self.outcome = self.decide()
        self.setText(_text(self.outcome))

    def revert(self) -> None:
        if self.outcome is not None:
            self.project.review.undo(self.outcome)


def _text(outcome: ReviewOutcome) -> str:
    if outcome.decision == "accept":
        return f"Accept {plural(outcome.masks, 'mask')}"
    if outcome.decision == "reject":
        return f"Reject {plural(outcome.masks, 'mask')}"
    return f"Mark {outcome.decision}"
