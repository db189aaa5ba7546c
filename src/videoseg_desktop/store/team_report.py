"""What merging one work package did: items, conflicts, media brought in, review decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from videoseg_desktop.core.text import plural


@dataclass(frozen=True)
class Conflict:
    media: str  # the media item's name
    item: str  # the object's name (or "status")
    why: str


@dataclass
class MergeReport:
    package: Path
    annotator: str
    merged: int = 0  # items taken over (changed, added or deleted in the package)
    added: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    skipped_media: int = 0  # media the package has that the source no longer has
    media_added: int = 0  # files imported in the package, copied into the project
    media_matched: int = 0  # files imported in the package that the project already had
    media_refused: list[str] = field(default_factory=list)  # one line per file left out
    decisions: int = 0  # review decisions made in the package, now recorded here

    @property
    def changed(self) -> bool:
        counts = (self.merged, self.media_added, self.media_matched, self.decisions)
        return any(counts) or bool(self.conflicts)

    def note_conflict(self, conflict: Conflict) -> bool:
        """Add a conflict, or extend the reason of the one already reported for the same item
        (one line per item); True when the item is new to the report."""
        for i, known in enumerate(self.conflicts):
            if (known.media, known.item) == (conflict.media, conflict.item):
                self.conflicts[i] = Conflict(
                    known.media, known.item, f"{known.why}; {conflict.why}"
                )
                return False
        self.conflicts.append(conflict)
        return True

    def line(self) -> str:
        if not self.changed:
            tail = (
                f"; {plural(len(self.media_refused), 'media item')} refused"
                if self.media_refused
                else ""
            )
            return f"{self.package.name} ({self.annotator}): nothing new since the last merge{tail}"
        parts = [
            f"{plural(self.merged, 'item')} merged ({self.added} new)",
            plural(len(self.conflicts), "conflict"),
        ]
        if self.media_added or self.media_matched:
            parts.append(f"{plural(self.media_added, 'media item')} added")
        if self.media_matched:
            parts[-1] += f" ({self.media_matched} already here)"
        if self.decisions:
            parts.append(f"{plural(self.decisions, 'review decision')} merged")
        if self.media_refused:
            parts.append(f"{plural(len(self.media_refused), 'media item')} refused")
        return f"{self.package.name} ({self.annotator}): " + ", ".join(parts)
