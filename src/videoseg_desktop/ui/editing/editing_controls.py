"""Everything mask editing adds to the studio window: tools, actions, a tool bar, a panel.

The main window builds one ``MaskEditing`` and places its parts::

    self.editing = MaskEditing(session, canvas, presenter, self)
    self.addToolBar(self.editing.toolbar)
    self.menuBar().addMenu(self.editing.menu)
    self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.editing.dock)
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolBar,
    QWidget,
)

from videoseg_desktop.core import mask_ops
from videoseg_desktop.ui.editing.brush_tool import BrushTool
from videoseg_desktop.ui.editing.mask_editor import MAX_BRUSH, MIN_BRUSH, MaskEditor
from videoseg_desktop.ui.editing.polygon_tool import PolygonTool

TOOL_KEYS = {"prompt": "V", "brush": "B", "eraser": "E", "polygon": "P"}
TOOL_TIPS = {
    "prompt": "Click: add a point (Ctrl/Shift+click excludes), drag: a box",
    "brush": "Paint on the selected object's mask (Ctrl/Shift+drag erases); [ ] or "
    "Ctrl+wheel: size",
    "eraser": "Erase from the selected object's mask; [ ] or Ctrl+wheel: size",
    "polygon": "Click vertices, close on the first one, double click or Enter; Ctrl/Shift on "
    "the first click cuts; Backspace: undo a vertex",
}


class MaskEditing(QObject):
    statusMessage = Signal(str)
    errorOccurred = Signal(str)

    def __init__(self, session, canvas, presenter=None, parent: QObject | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.editor = MaskEditor(session, canvas, presenter, self)
        self.editor.statusMessage.connect(self.statusMessage)
        self.editor.errorOccurred.connect(self.errorOccurred)
        self.tools = {
            "prompt": None,  # CanvasView's own prompt tool
            "brush": BrushTool(self.editor, erase=False, parent=self),
            "eraser": BrushTool(self.editor, erase=True, parent=self),
            "polygon": PolygonTool(self.editor, parent=self),
        }
        self.tool_actions: dict[str, QAction] = {}
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        for name, label in (
            ("prompt", "&Prompt tool"),
            ("brush", "&Brush"),
            ("eraser", "&Eraser"),
            ("polygon", "P&olygon"),
        ):
            action = QAction(label, self, checkable=True)
            action.setShortcut(QKeySequence(TOOL_KEYS[name]))
            action.setToolTip(f"{label.replace('&', '')} ({TOOL_KEYS[name]}): {TOOL_TIPS[name]}")
            action.setStatusTip(TOOL_TIPS[name])
            action.triggered.connect(lambda _checked=False, n=name: self.set_tool(n))
            self._group.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["prompt"].setChecked(True)
        self.smaller = self._action("Smaller brush", "[", lambda: self.editor.step_brush(-1))
        self.bigger = self._action("Bigger brush", "]", lambda: self.editor.step_brush(1))

        self.island_px = _spin(1, 10_000_000, 100, " px")
        self.smooth_px = _spin(1, 100, 2, " px")
        self.grow_px = _spin(1, 500, 2, " px")
        self.fill_holes = self._action("Fill holes", None, self._fill_holes)
        self.remove_islands = self._action("Remove small islands", None, self._remove_islands)
        self.smooth = self._action("Smooth edge", None, self._smooth)
        self.grow = self._action("Grow", None, lambda: self._grow(1))
        self.shrink = self._action("Shrink", None, lambda: self._grow(-1))
        self.cleanup_actions = [
            self.fill_holes,
            self.remove_islands,
            self.smooth,
            self.grow,
            self.shrink,
        ]
        self.toolbar = self._build_toolbar()
        self.menu = self._build_menu()
        self.panel = self._build_panel()
        self._dock: QDockWidget | None = None

    # -- tools -----------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """Switch the canvas to ``name`` ("prompt", "brush", "eraser" or "polygon")."""
        self.canvas.set_tool(self.tools[name])
        self.tool_actions[name].setChecked(True)
        if name != "prompt":
            self.statusMessage.emit(TOOL_TIPS[name])

    @property
    def current_tool(self) -> str:
        active = self.canvas.tool
        return next((n for n, t in self.tools.items() if t is active), "prompt")

    def actions(self) -> list[QAction]:
        """Every action with a shortcut, to add to a window that shows no tool bar."""
        return [*self.tool_actions.values(), self.smaller, self.bigger, *self.cleanup_actions]

    # -- clean-up --------------------------------------------------------------------------
    def _fill_holes(self) -> bool:
        return self.editor.apply(mask_ops.fill_holes, "Fill holes")

    def _remove_islands(self) -> bool:
        n = self.island_px.value()
        return self.editor.apply(
            lambda m: mask_ops.remove_islands(m, n), f"Remove islands < {n} px"
        )

    def _smooth(self) -> bool:
        r = self.smooth_px.value()
        return self.editor.apply(lambda m: mask_ops.smooth_edges(m, r), f"Smooth edge ({r} px)")

    def _grow(self, sign: int) -> bool:
        n = self.grow_px.value() * sign
        text = f"Grow by {n} px" if n > 0 else f"Shrink by {-n} px"
        return self.editor.apply(lambda m: mask_ops.grow(m, n), text)

    # -- widgets ---------------------------------------------------------------------------
    def _action(self, text: str, key: str | None, slot: Callable) -> QAction:
        action = QAction(text, self)
        if key:
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{text} ({key})")
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Mask editing")
        bar.setObjectName("maskEditingToolBar")
        for action in self.tool_actions.values():
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.smaller)
        size = _spin(MIN_BRUSH, MAX_BRUSH, self.editor.brush_size, " px")
        size.setToolTip("Brush diameter in image pixels ([ and ], or Ctrl+wheel on the canvas)")
        size.valueChanged.connect(self.editor.set_brush_size)
        self.editor.brushSizeChanged.connect(size.setValue)
        self.size_box = size
        bar.addWidget(size)
        bar.addAction(self.bigger)
        return bar

    def _build_menu(self) -> QMenu:
        menu = QMenu("&Mask")
        for action in self.tool_actions.values():
            menu.addAction(action)
        menu.addSeparator()
        menu.addActions([self.smaller, self.bigger])
        menu.addSeparator()
        menu.addActions(self.cleanup_actions)
        return menu

    def _build_panel(self) -> QWidget:
        panel = QWidget()
        form = QFormLayout(panel)
        form.addRow(_button(self.fill_holes))
        form.addRow(_row(_button(self.remove_islands), "smaller than", self.island_px))
        form.addRow(_row(_button(self.smooth), "radius", self.smooth_px))
        form.addRow(_row(_button(self.grow), _button(self.shrink), "by", self.grow_px))
        return panel

    @property
    def dock(self) -> QDockWidget:
        """The clean-up panel in a dock widget (made on first use, parented to the window)."""
        if self._dock is None:
            parent = self.parent()
            self._dock = QDockWidget(
                "Mask clean-up", parent if isinstance(parent, QWidget) else None
            )
            self._dock.setObjectName("maskCleanupDock")
            self._dock.setWidget(self.panel)
        return self._dock


def _spin(low: int, high: int, value: int, suffix: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)
    return box


def _button(action: QAction) -> QPushButton:
    button = QPushButton(action.text())
    button.setToolTip(action.toolTip())
    button.clicked.connect(action.trigger)
    return button


def _row(*parts) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        layout.addWidget(QLabel(part) if isinstance(part, str) else part)
    return row
