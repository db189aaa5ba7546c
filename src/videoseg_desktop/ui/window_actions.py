"""The main window's actions and menus (texts, shortcuts, placement); wiring is elsewhere."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu

from videoseg_desktop.ui.theme.fields import commit_field
from videoseg_desktop.ui.theme.icons import decorate

Key = QKeySequence.StandardKey


class WindowActions:
    """Every QAction of the window, by attribute; ``all()`` lists them for the shortcut sheet."""

    def __init__(self, window: QMainWindow):
        self.window = window
        self._actions: list[QAction] = []
        menus = window.menuBar()
        self.file_menu = menus.addMenu("&File")
        self.new_project = self._add(self.file_menu, "&New Project…", [Key.New])
        self.open_project = self._add(self.file_menu, "&Open Project…", [Key.Open])
        self.open_read_only = self._add(self.file_menu, "Open Project Read-&Only…")
        self.recent_menu = QMenu("Open &Recent", window)
        self.file_menu.addMenu(self.recent_menu)
        self.open_demo = self._add(self.file_menu, "Open &Demo Project")
        self.file_menu.addSeparator()
        self.import_media = self._add(self.file_menu, "&Import Media…", ["Ctrl+I"])
        self.export = self._add(self.file_menu, "&Export…", ["Ctrl+E"])
        self.file_menu.addSeparator()
        self.close_project = self._add(self.file_menu, "&Close Project", [Key.Close])
        self.close_window = self._add(self.file_menu, "Close &Window", ["Ctrl+Shift+W"])
        self.quit = self._add(
            self.file_menu, "&Quit", [Key.Quit, "Ctrl+Q"]
        )  # Quit is empty on Windows

        self.edit_menu = menus.addMenu("&Edit")
        self.undo = self._add(self.edit_menu, "&Undo", ["Ctrl+Z"])
        self.redo = self._add(self.edit_menu, "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"])
        self.edit_menu.addSeparator()
        self.new_object = self._add(self.edit_menu, "&New Object", ["N", "Return", "Enter"])
        self.cancel = self._add(self.edit_menu, "&Cancel / Deselect", ["Escape"])
        self.next_object = self._add(self.edit_menu, "Next Object", ["Tab"])
        self.previous_object = self._add(self.edit_menu, "Previous Object", ["Shift+Tab"])
        self.delete_object = self._add(self.edit_menu, "&Delete Object", ["Delete", "Backspace"])

        self.view_menu = menus.addMenu("&View")
        self.zoom_in = self._add(self.view_menu, "Zoom &In", ["+", "=", "Ctrl++"])
        self.zoom_out = self._add(self.view_menu, "Zoom &Out", ["-", "Ctrl+-"])
        self.zoom_fit = self._add(self.view_menu, "&Fit to Window", ["F", "Ctrl+0"])
        self.zoom_actual = self._add(self.view_menu, "&Actual Pixels (1:1)", ["Ctrl+1"])
        self.view_menu.addSeparator()
        self.docks_menu = self.view_menu.addMenu("&Panels")

        self.go_menu = menus.addMenu("&Go")
        self.previous_media = self._add(self.go_menu, "&Previous Media", ["Left"])
        self.next_media = self._add(self.go_menu, "&Next Media", ["Right"])
        self.next_unannotated = self._add(self.go_menu, "Next &Unannotated", ["U"])

        self.labels_menu = menus.addMenu("&Labels")
        self.pick_label = [
            self._add(self.labels_menu, f"Use Label {n}", [str(n)]) for n in range(1, 10)
        ]
        for action in self.pick_label:  # one line in the shortcut sheet
            action.setProperty("summary", "Use label 1 to 9 for new objects")
            action.setProperty("summary_keys", "1 … 9")
        self.tools_menu = menus.addMenu("&Tools")  # mask editing tools plug in here

        for name in ("new_project", "open_project", "import_media", "export", "undo", "redo",
                     "new_object", "delete_object", "zoom_in", "zoom_out", "zoom_fit"):  # fmt: skip
            decorate(getattr(self, name), name)  # the same set as the tool bars and panels

        self.help_menu = menus.addMenu("&Help")
        self.shortcuts = self._add(self.help_menu, "&Keyboard Shortcuts", ["?", "F1"])
        self.about = self._add(self.help_menu, "&About VideoSeg Desktop")

    def _add(self, menu: QMenu, text: str, keys: list | None = None) -> QAction:
        action = QAction(text, self.window)
        # First slot: a number typed into a focused spin box counts before the action reads it.
        action.triggered.connect(lambda *_: commit_field(QApplication.focusWidget()))
        if keys:
            sequences = []
            for key in keys:
                sequence = QKeySequence(key)
                if not sequence.isEmpty() and sequence not in sequences:
                    sequences.append(sequence)
            action.setShortcuts(sequences)
        menu.addAction(action)
        self._actions.append(action)
        return action

    def add(self, menu: QMenu, text: str, keys: list | None = None) -> QAction:
        """For plug-ins (timeline, mask tools): an action listed in the shortcut sheet too."""
        return self._add(menu, text, keys)

    def all(self) -> list[QAction]:
        return list(self._actions)

    def project_actions(self) -> list[QAction]:
        """Actions that need an open project."""
        return [
            self.import_media, self.export, self.close_project, self.undo, self.redo,
            self.new_object, self.cancel, self.next_object, self.previous_object,
            self.delete_object, self.zoom_in, self.zoom_out, self.zoom_fit, self.zoom_actual,
            self.previous_media, self.next_media, self.next_unannotated, *self.pick_label,
        ]  # fmt: skip
