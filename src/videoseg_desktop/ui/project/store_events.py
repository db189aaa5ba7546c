"""Qt signals over ``project.subscribe``: views follow the store instead of polling it.

The store calls its listeners synchronously after each commit, on the thread that committed;
the GUI thread is the only writer, so the signals below are emitted on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from videoseg_desktop.store import Change


class StoreEvents(QObject):
    """One signal per table. Each carries the changed ids; an empty tuple means "any"."""

    labelsChanged = Signal(tuple)
    mediaChanged = Signal(tuple)
    objectsChanged = Signal(tuple)
    promptsChanged = Signal(tuple)
    masksChanged = Signal(tuple)  # object ids
    settingsChanged = Signal()
    anyChanged = Signal(object)  # the raw list[Change] of one commit

    def __init__(self, project, parent: QObject | None = None):
        super().__init__(parent)
        self._unsubscribe = project.subscribe(self._on_changes)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_changes(self, changes: list[Change]) -> None:
        by_table: dict[str, set[int]] = {}
        unspecified: set[str] = set()
        for change in changes:
            by_table.setdefault(change.table, set()).update(change.ids)
            if not change.ids:
                unspecified.add(change.table)
        signals = {
            "labels": self.labelsChanged,
            "media": self.mediaChanged,
            "objects": self.objectsChanged,
            "prompts": self.promptsChanged,
            "masks": self.masksChanged,
        }
        # Order matters for views that join tables: labels before objects before masks.
        for table in ("labels", "media", "objects", "prompts", "masks"):
            if table in by_table:
                ids = () if table in unspecified else tuple(sorted(by_table[table]))
                signals[table].emit(ids)
        if "settings" in by_table:
            self.settingsChanged.emit()
        self.anyChanged.emit(changes)
