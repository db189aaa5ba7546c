"""The per-track menu (right click on a row of the track overview, or the Video menu) and the
frame-range dialog used to delete part of a track."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QMenu, QSpinBox, QWidget

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.ui.panels.label_panel import color_icon
from videoseg_desktop.ui.theme.fields import field_value


class RangeDialog(QDialog):
    """Asks for a frame range, both ends included."""

    def __init__(self, frame_count: int, first: int, last: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Delete track frames")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form = QFormLayout(self)
        self.first_box, self.last_box = QSpinBox(), QSpinBox()
        for box, value in ((self.first_box, first), (self.last_box, last)):
            box.setRange(0, max(frame_count - 1, 0))
            box.setValue(value)
        form.addRow("From frame", self.first_box)
        form.addRow("To frame (included)", self.last_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def first(self) -> int:
        return min(field_value(self.first_box), field_value(self.last_box))

    def last(self) -> int:
        return max(field_value(self.first_box), field_value(self.last_box))


def fill_row_menu(menu: QMenu, studio, object_id: int, frame: int, part: str = "all") -> None:
    """Add the track actions for ``object_id`` (clicked at ``frame``) to ``menu``.

    ``part``: "all", or only the "merge" or "label" entries (the Video menu's submenus).
    """
    session = studio.session
    try:
        obj = session.project.objects.get(object_id)
    except VideoSegError:
        return
    if part == "all":
        menu.addAction(f"Go to frame {frame}").triggered.connect(lambda: studio.go_to(frame))
        menu.addSeparator()
        menu.addAction("Delete Track Frames…").triggered.connect(
            lambda: studio.ask_delete_range(object_id)
        )
        menu.addAction(f"Delete Frames {frame}–End").triggered.connect(
            lambda: studio.delete_range(object_id, frame, 2**31)
        )
        menu.addAction(f"Split Track at Frame {frame}").triggered.connect(
            lambda: studio.split(object_id, frame)
        )
    if part in ("all", "merge"):
        merge = menu.addMenu(f"Merge {obj.name} Into") if part == "all" else menu
        others = [o for o in session.objects() if o.id != object_id]
        for other in others:
            merge.addAction(other.name).triggered.connect(
                lambda _=False, keep=other.id: studio.merge(keep, object_id)
            )
        if not others:
            merge.addAction("(no other object)").setEnabled(False)
    if part in ("all", "label"):
        labels = menu.addMenu("Change Label") if part == "all" else menu
        for label in session.labels():
            action = labels.addAction(color_icon(label.color), label.name)
            action.setCheckable(True)
            action.setChecked(label.id == obj.label_id)
            action.triggered.connect(lambda _=False, lid=label.id: studio.relabel(object_id, lid))
        labels.addSeparator()
        labels.addAction("No Label").triggered.connect(lambda: studio.relabel(object_id, None))
