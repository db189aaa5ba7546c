"""Everything mask editing adds to the studio window: tools, actions, a tool bar, a panel.

The main window plugs it in with one line, ``self.editing = MaskEditing.install(self)``: the
actions go to its Tools menu (and so to the shortcut sheet), the tool bar and the clean-up dock
are added, and the editing follows the window's open project (``sessionChanged``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolBar,
    QWidget,
)

from videoseg_desktop.core import mask_ops
from videoseg_desktop.ui.editing.brush_tool import BrushTool
from videoseg_desktop.ui.editing.mask_editor import MAX_BRUSH, MIN_BRUSH, MaskEditor
from videoseg_desktop.ui.editing.polygon_tool import PolygonTool
from videoseg_desktop.ui.theme.fields import field_value
from videoseg_desktop.ui.theme.icons import icon

ActionFactory = Callable[[str, list], QAction]  # (text, shortcut keys) -> a new action

TOOLS = (  # name, menu text, shortcut, what it does
    ("prompt", "&Prompt Tool", "V", "Click: add a point (Ctrl/Shift+click excludes), drag: a box"),
    (
        "brush",
        "&Brush",
        "B",
        "Paint on the selected object's mask (Ctrl/Shift+drag erases); [ ] or Ctrl+wheel: size",
    ),
    ("eraser", "&Eraser", "E", "Erase from the selected object's mask; [ ] or Ctrl+wheel: size"),
    (
        "polygon",
        "P&olygon",
        "P",
        "Click vertices; close on the first one, double click or Enter; Ctrl/Shift on the "
        "first click cuts; Backspace: remove a vertex",
    ),
)
TIPS = {name: tip for name, _text, _key, tip in TOOLS}
CLEANUP_ICONS = ("fill_holes", "remove_islands", "smooth", "grow", "shrink")


class MaskEditing(QObject):
    statusMessage = Signal(str)
    errorOccurred = Signal(str)

    def __init__(
        self,
        canvas,
        session=None,
        presenter=None,
        parent: QObject | None = None,
        add_action: ActionFactory | None = None,
    ):
        super().__init__(parent)
        self.canvas = canvas
        self._new_action = add_action or self._plain_action
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
        group = QActionGroup(self)
        for name, text, key, tip in TOOLS:
            action = self._new_action(text, [key])
            action.setCheckable(True)
            action.setIcon(icon(name))
            action.setToolTip(f"{text.replace('&', '')} ({key}): {tip}")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, n=name: self.set_tool(n))
            group.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["prompt"].setChecked(True)
        self.smaller = self._action("Smaller Brush", ["["], lambda: self.editor.step_brush(-1))
        self.bigger = self._action("Bigger Brush", ["]"], lambda: self.editor.step_brush(1))
        self.smaller.setIcon(icon("smaller_brush"))
        self.bigger.setIcon(icon("bigger_brush"))
        self.island_px = _spin(1, 10_000_000, 100, " px")
        self.smooth_px = _spin(1, 100, 2, " px")
        self.grow_px = _spin(1, 500, 2, " px")
        self.fill_holes = self._action("Fill Holes", [], self._fill_holes)
        self.remove_islands = self._action("Remove Small Islands", [], self._remove_islands)
        self.smooth = self._action("Smooth Edge", [], self._smooth)
        self.grow = self._action("Grow Mask", [], lambda: self._grow(1))
        self.shrink = self._action("Shrink Mask", [], lambda: self._grow(-1))
        self.cleanup_actions = [
            self.fill_holes,
            self.remove_islands,
            self.smooth,
            self.grow,
            self.shrink,
        ]
        for action, key in zip(self.cleanup_actions, CLEANUP_ICONS, strict=True):
            action.setIcon(icon(key))
        self.toolbar = self._build_toolbar()
        self.panel = self._build_panel()
        self._dock: QDockWidget | None = None
        self.set_session(session, presenter)

    @classmethod
    def install(cls, window) -> MaskEditing:
        """Plug mask editing into the studio's ``MainWindow`` (its Tools menu, docks, session)."""
        menu = window.actions.tools_menu
        editing = cls(
            window.canvas,
            parent=window,
            add_action=lambda text, keys: window.actions.add(menu, text, keys),
        )
        for action in (editing.smaller, editing.fill_holes):  # group the menu
            menu.insertSeparator(action)
        window.addToolBar(editing.toolbar)
        window.add_dock(editing.dock, Qt.DockWidgetArea.RightDockWidgetArea)
        window.sessionChanged.connect(lambda s: editing.set_session(s, window.presenter))
        editing.statusMessage.connect(lambda m: window.statusBar().showMessage(m, 5000))
        editing.errorOccurred.connect(window.show_error)
        editing.set_session(window.session, window.presenter)
        return editing

    def set_session(self, session, presenter=None) -> None:
        """Follow the open project (None: no project; the tools are off)."""
        if session is None or session is not self.editor.session:
            self.set_tool("prompt")
        self.editor.session, self.editor.presenter = session, presenter
        for action in self.actions():
            action.setEnabled(session is not None)
        self.toolbar.setVisible(session is not None)

    # -- tools -----------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """Switch the canvas to ``name`` ("prompt", "brush", "eraser" or "polygon")."""
        self.canvas.set_tool(self.tools[name])
        self.tool_actions[name].setChecked(True)
        if name != "prompt":
            self.statusMessage.emit(TIPS[name])

    @property
    def current_tool(self) -> str:
        active = self.canvas.tool
        return next((n for n, t in self.tools.items() if t is active), "prompt")

    def actions(self) -> list[QAction]:
        return [*self.tool_actions.values(), self.smaller, self.bigger, *self.cleanup_actions]

    # -- clean-up --------------------------------------------------------------------------
    def _fill_holes(self) -> bool:
        return self.editor.apply(mask_ops.fill_holes, "Fill holes")

    def _remove_islands(self) -> bool:
        n = field_value(self.island_px)
        return self.editor.apply(
            lambda m: mask_ops.remove_islands(m, n), f"Remove islands < {n} px"
        )

    def _smooth(self) -> bool:
        r = field_value(self.smooth_px)
        return self.editor.apply(lambda m: mask_ops.smooth_edges(m, r), f"Smooth edge ({r} px)")

    def _grow(self, sign: int) -> bool:
        n = field_value(self.grow_px) * sign
        text = f"Grow by {n} px" if n > 0 else f"Shrink by {-n} px"
        return self.editor.apply(lambda m: mask_ops.grow(m, n), text)

    # -- widgets ---------------------------------------------------------------------------
    def _plain_action(self, text: str, keys: list) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        return action

    def _action(self, text: str, keys: list, slot: Callable) -> QAction:
        action = self._new_action(text, keys)
        if keys:
            action.setToolTip(f"{text} ({' or '.join(keys)})")
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Mask Editing")
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
                "Mask Clean-up", parent if isinstance(parent, QWidget) else None
            )
            self._dock.setObjectName("MaskCleanupDock")
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
    button = QPushButton(action.icon(), action.text().replace("&", ""))
    button.setToolTip(action.toolTip())
    button.clicked.connect(action.trigger)
    action.enabledChanged.connect(button.setEnabled)
    return button


def _row(*parts) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        layout.addWidget(QLabel(part) if isinstance(part, str) else part)
    return row
