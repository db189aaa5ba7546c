"""Small pieces the side panels share: a row of tool buttons under a list."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLayout, QToolButton, QVBoxLayout, QWidget


def button_row(specs: list[tuple[str, str, Callable[[], object]]]) -> QHBoxLayout:
    """Tool buttons (text, tool tip, slot) left to right, with the stretch left open at the end."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for text, tip, slot in specs:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
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
