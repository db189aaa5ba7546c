"""A project open read-only in the window: editing is off, and the window says so.

The store refuses every change of a read-only project on its own (one message); this keeps
the window from offering them: editing actions stay disabled while read-only, even when other
code (tools following the selection, the undo stack) would enable them again, and the panels'
edit buttons are off. The title and a permanent status-bar label say why.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QLabel, QMessageBox, QWidget

READ_ONLY_HINT = "This project is open read-only: changes cannot be saved."


class ReadOnlyGuard:
    """Keeps ``actions`` and the buttons of ``panels`` disabled while active."""

    def __init__(self, status_label: QLabel) -> None:
        self.active = False
        self.label = status_label
        self.label.setVisible(False)
        self.label.setStyleSheet("QLabel { font-weight: bold; color: #B35900; padding: 0 6px; }")
        self._actions: list[QAction] = []
        self._panels: list[QWidget] = []

    def watch(self, actions: list[QAction], panels: list[QWidget]) -> None:
        """The editing actions and the panels whose buttons edit (call once, after set-up)."""
        for action in actions:
            if action not in self._actions:
                self._actions.append(action)
                action.enabledChanged.connect(lambda on, a=action: self._keep_off(a, on))
        self._panels += [p for p in panels if p not in self._panels]

    def set_active(self, active: bool, reason: str | None = None) -> None:
        self.active = active
        self.label.setVisible(active)
        self.label.setText(f"Read-only ({reason or 'opened read-only'})" if active else "")
        self.label.setToolTip(READ_ONLY_HINT if active else "")
        for panel in self._panels:
            for button in panel.findChildren(QAbstractButton):
                button.setEnabled(not active)
        if active:
            for action in self._actions:
                action.setEnabled(False)

    def _keep_off(self, action: QAction, enabled: bool) -> None:
        if self.active and enabled:
            action.setEnabled(False)


def window_title(project_name: str, read_only: bool) -> str:
    return f"{project_name}{' [read-only]' if read_only else ''} — VideoSeg Desktop"


def offer_read_only(
    window, path: str | Path, message: str, title: str = "Project in use"
) -> QMessageBox:
    """The locked-project message with the way forward: Open Read-Only, or Cancel.

    Window-modal and non-blocking; choosing Open Read-Only opens ``path`` read-only in
    ``window``.
    """
    box = QMessageBox(
        QMessageBox.Icon.Information,
        title,
        f"{message}.",
        QMessageBox.StandardButton.Cancel,
        window,
    )
    box.setInformativeText(
        "Read-only, you can look at everything and export it; changes cannot be saved."
    )
    open_ro = box.addButton("Open Read-Only", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(open_ro)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setProperty("open_read_only_button", open_ro)

    def chosen(button) -> None:
        window.lock_dialog = None
        if button is open_ro:
            window.open_project(path, read_only=True)

    box.buttonClicked.connect(chosen)
    box.finished.connect(window._refocus)
    if window.isVisible():
        box.open()
    return box
