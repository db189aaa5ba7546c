"""Small pieces the side panels share: a row of tool buttons under a list."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLayout, QToolButton, QVBoxLayout, QWidget

from videoseg_desktop.ui.theme.icons import icon


def button_row(specs: list[tuple[str, str, str, Callable[[], object]]]) -> QHBoxLayout:
    """Tool buttons (icon key, text, tool tip, slot) left to right, stretch open at the end.

    Icons only, the text in the tool tip (and kept as the button's text for screen readers).
    """
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for key, text, tip, slot in specs:
        button = QToolButton()
        button.setText(text)
        button.setIcon(icon(key))
        if not button.icon().isNull():
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        button.setToolTip(f"{text}: {tip}" if not tip.startswith(text) else tip)
        button.clicked.connect(slot)
        row.addWidget(button)
    return row


def stack(panel: QWidget, *parts: QWidget | QLayout) -> QVBoxLayout:
    """The panel's layout: the parts top to bottom with the panels' common margins."""
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(4, 4, 4, 4)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    return layout
