"""One icon set for the whole window: Material Design Icons from the font qtawesome bundles.

Icons are drawn from a font, so they are sharp at any size and scale (HiDPI), and they are
painted in the palette's own text colours (normal, disabled, selected), so they read on dark and
light themes alike. Every icon of the window is named here, by what it does, so the set stays
consistent; ``icon(key)`` gives a null icon (text shows instead) if qtawesome is missing.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtGui import QAction, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

ICONS = {
    # tools (the mask editing tool bar)
    "prompt": "mdi6.cursor-default-click-outline",
    "brush": "mdi6.brush",
    "eraser": "mdi6.eraser",
    "polygon": "mdi6.vector-polygon",
    "smaller_brush": "mdi6.minus-circle-outline",
    "bigger_brush": "mdi6.plus-circle-outline",
    # transport
    "play": "mdi6.play",
    "pause": "mdi6.pause",
    "previous_frame": "mdi6.chevron-left",
    "next_frame": "mdi6.chevron-right",
    "back_ten": "mdi6.chevron-double-left",
    "forward_ten": "mdi6.chevron-double-right",
    "first_frame": "mdi6.skip-previous",
    "last_frame": "mdi6.skip-next",
    "loop": "mdi6.repeat",
    "loop_in": "mdi6.ray-start",
    "loop_out": "mdi6.ray-end",
    "onion_skin": "mdi6.layers-outline",
    # tracking
    "track_forward": "mdi6.arrow-right-bold-circle-outline",
    "track_backward": "mdi6.arrow-left-bold-circle-outline",
    "track_both": "mdi6.arrow-left-right-bold-outline",
    "cancel_tracking": "mdi6.stop-circle-outline",
    "delete_range": "mdi6.delete-sweep-outline",
    "split_track": "mdi6.content-cut",
    # clean-up
    "fill_holes": "mdi6.format-color-fill",
    "remove_islands": "mdi6.scatter-plot-outline",
    "smooth": "mdi6.vector-curve",
    "grow": "mdi6.arrow-expand-all",
    "shrink": "mdi6.arrow-collapse-all",
    # window and panels
    "new_project": "mdi6.folder-plus-outline",
    "open_project": "mdi6.folder-open-outline",
    "demo": "mdi6.play-box-outline",
    "import_media": "mdi6.file-import-outline",
    "export": "mdi6.export",
    "undo": "mdi6.undo",
    "redo": "mdi6.redo",
    "new_object": "mdi6.shape-plus",
    "delete_object": "mdi6.delete-outline",
    "zoom_in": "mdi6.magnify-plus-outline",
    "zoom_out": "mdi6.magnify-minus-outline",
    "zoom_fit": "mdi6.fit-to-screen-outline",
    "add": "mdi6.plus",
    "remove": "mdi6.minus",
    "rename": "mdi6.pencil-outline",
    "colour": "mdi6.palette-outline",
    "hide": "mdi6.eye-off-outline",
    "delete": "mdi6.delete-outline",
    "label": "mdi6.tag-outline",
    "attributes": "mdi6.format-list-checks",
}


def icon(key: str) -> QIcon:
    """The icon for ``key`` (a name in ICONS) in the application palette's colours."""
    os.environ.setdefault("QT_API", "pyside6")  # QtPy must not pick another installed binding
    try:
        import qtawesome
    except ImportError:  # a build without it still works, with text
        log.warning("qtawesome is missing: buttons show text only")
        return QIcon()
    palette = QApplication.palette()
    role, disabled = QPalette.ColorRole, QPalette.ColorGroup.Disabled
    return qtawesome.icon(
        ICONS[key],
        color=palette.color(role.ButtonText),
        color_active=palette.color(role.ButtonText),
        color_disabled=palette.color(disabled, role.ButtonText),
        color_selected=palette.color(role.HighlightedText),
    )


def shortcut_text(action: QAction) -> str:
    """The action's shortcuts as the platform writes them ("Shift+T or Ctrl+T")."""
    keys = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()]
    return " or ".join(k for k in keys if k)


def decorate(action: QAction, key: str, tip: str | None = None) -> QAction:
    """Give ``action`` its icon and a tool tip that says what it does and its shortcut."""
    action.setIcon(icon(key))
    what = tip or action.text().replace("&", "").rstrip("…")
    keys = shortcut_text(action)
    action.setToolTip(f"{what} ({keys})" if keys and f"({keys}" not in what else what)
    return action
