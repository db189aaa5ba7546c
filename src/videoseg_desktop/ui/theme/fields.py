"""Input fields inside the main window never swallow the studio's keys, and their typed text
counts the moment anything reads it.

A QSpinBox keeps what is typed as text until focus leaves it or Enter is pressed, so an action
fired from a tool button (which takes no focus) read the old value: "Up to frame" typed and
Track Forward pressed ran to the end (issue #12). Two rules fix that for every field at once:

- ``field_value(box)`` interprets the typed text before returning the value; every reader of a
  spin box calls it;
- ``FieldKeys`` (installed on the application for one window) commits the focused field before
  any window action runs, hands a key the field has no use for (``.`` ``,`` Space, T, Ctrl+E...)
  to the canvas and lets its shortcut fire, and makes Enter (commit) and Escape (revert) give the
  keyboard back to the canvas instead of creating an object or cancelling.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QWidget,
)

Key = Qt.Key
EDIT_KEYS = {  # keys a number field uses for itself, without modifiers (or with Shift)
    Key.Key_Backspace, Key.Key_Delete, Key.Key_Left, Key.Key_Right, Key.Key_Home, Key.Key_End,
    Key.Key_Up, Key.Key_Down, Key.Key_PageUp, Key.Key_PageDown,
}  # fmt: skip
CHOICE_KEYS = {
    Key.Key_Up,
    Key.Key_Down,
    Key.Key_PageUp,
    Key.Key_PageDown,
    Key.Key_Home,
    Key.Key_End,
}
CTRL_EDIT_KEYS = {Key.Key_A, Key.Key_C, Key.Key_V, Key.Key_X, Key.Key_Z, Key.Key_Y, Key.Key_Left,
                  Key.Key_Right, Key.Key_Backspace, Key.Key_Delete}  # fmt: skip
ENTER_KEYS = {Key.Key_Return, Key.Key_Enter}


def field_value(box: QAbstractSpinBox):
    """The box's value with whatever is typed in it counted (Qt waits for focus-out or Enter)."""
    box.interpretText()
    return box.value()


def commit_field(widget: QWidget | None) -> None:
    """Count what is typed in ``widget`` (a spin box, or a line edit inside one) now."""
    box = _spin_box(widget)
    if box is not None:
        box.interpretText()


def _spin_box(widget: QWidget | None) -> QAbstractSpinBox | None:
    while widget is not None:
        if isinstance(widget, QAbstractSpinBox):
            return widget
        if not isinstance(widget, QLineEdit):
            return None
        widget = widget.parentWidget()
    return None


def _field(widget: QWidget | None) -> QWidget | None:
    """The spin box or combo box ``widget`` belongs to, if any."""
    box = _spin_box(widget)
    if box is not None:
        return box
    while widget is not None:
        if isinstance(widget, QComboBox):
            return widget
        if not isinstance(widget, QLineEdit):
            return None
        widget = widget.parentWidget()
    return None


def field_uses(field: QWidget, event: QKeyEvent) -> bool:
    """Whether ``field`` needs this key itself (typing a number, moving the cursor, choosing)."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    key = Key(event.key())
    if isinstance(field, QComboBox) and not field.isEditable():
        return mods == Qt.KeyboardModifier.NoModifier and key in CHOICE_KEYS
    if mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier):
        return key in CTRL_EDIT_KEYS
    if mods & Qt.KeyboardModifier.AltModifier:
        return False
    if key in EDIT_KEYS:
        return True
    text = event.text()
    if not text:
        return False
    if isinstance(field, QAbstractSpinBox):
        allowed = set("0123456789")
        if getattr(field, "minimum", lambda: 0)() < 0:
            allowed.add("-")
        if isinstance(field, QDoubleSpinBox):
            allowed.update(field.locale().decimalPoint())
        return text in allowed
    return text.isprintable()  # an editable combo types text


class FieldKeys(QObject):
    """The rules above for the fields of one window; ``home`` gets the keyboard back."""

    def __init__(self, window: QWidget, home: QWidget):
        super().__init__(window)
        self.window, self.home = window, home
        QApplication.instance().installEventFilter(self)

    def hand_back(self) -> None:
        if self.home.isVisible():
            self.home.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(watched, QWidget) or watched is not QApplication.focusWidget():
            return False
        field = _field(watched)
        if field is None or field.window() is not self.window:
            return False  # dialogs keep their own Enter and Escape
        if isinstance(field, QComboBox) and field.view().isVisible():
            return False  # an open list handles its own keys
        key = event.key()
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if key in ENTER_KEYS or (key == Key.Key_Escape and plain):
            event.accept()  # no shortcut (New Object, Cancel): the key is the field's
            if kind == QEvent.Type.KeyPress:
                if key == Key.Key_Escape and isinstance(field, QAbstractSpinBox):
                    field.setValue(field.value())  # drop the typing: show the value again
                else:
                    commit_field(field)
                self.hand_back()
            return True
        if kind == QEvent.Type.ShortcutOverride and not field_uses(field, event):
            commit_field(field)
            self.hand_back()  # the canvas has the keys again
            event.ignore()  # and the field may not claim the key: its shortcut fires next
            return True
        return False
