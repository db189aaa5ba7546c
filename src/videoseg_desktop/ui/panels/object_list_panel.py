"""The objects of the current media: select, rename, change label, hide, delete."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QWidget,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.ui.canvas.canvas_presenter import UNLABELED_COLOR
from videoseg_desktop.ui.panels.label_panel import color_icon
from videoseg_desktop.ui.panels.panel_widgets import button_row, stack
from videoseg_desktop.ui.project.project_session import NONE, ProjectSession
from videoseg_desktop.ui.project.undo_commands import (
    DeleteObjectCommand,
    RenameObjectCommand,
    SetObjectLabelCommand,
    push_command,
)
from videoseg_desktop.ui.theme.icons import icon


class ObjectListPanel(QWidget):
    errorOccurred = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.session: ProjectSession | None = None
        self.list = QListWidget()
        self.list.setIconSize(QSize(14, 14))
        self.list.setToolTip("Objects here. Tick to show, double-click to rename, Tab cycles.")
        self.list.currentItemChanged.connect(self._on_current)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.rename_selected())
        self.label_button = QToolButton()
        self.label_button.setText("Label")
        self.label_button.setIcon(icon("label"))
        self.label_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.label_button.setToolTip("Change the selected object's label")
        self.label_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.label_menu = QMenu(self)
        self.label_menu.aboutToShow.connect(self._fill_label_menu)
        self.label_button.setMenu(self.label_menu)
        buttons = button_row(
            [
                ("rename", "Rename", "Rename the selected object", self.rename_selected),
                ("hide", "Hide", "Hide or show the selected object", self.toggle_hidden),
                ("delete", "Delete", "Delete the selected object (Del)", self.delete_selected),
            ]
        )
        buttons.insertWidget(1, self.label_button)
        buttons.addStretch(1)
        stack(self, self.list, buttons)
        self._updating = False

    def set_session(self, session: ProjectSession | None) -> None:
        self.session = session
        if session is not None:
            for signal in (
                session.events.objectsChanged,
                session.events.labelsChanged,
                session.events.masksChanged,
            ):
                signal.connect(lambda _ids: self.reload())
            session.mediaChanged.connect(lambda _id: self.reload())
            session.frameChanged.connect(lambda _f: self.reload())
            session.objectChanged.connect(self._select)
            session.visibilityChanged.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        self._updating = True
        self.list.clear()
        if self.session is not None:
            labels = {lb.id: lb for lb in self.session.labels()}
            on_frame = (
                {
                    m.object_id
                    for m in self.session.project.masks.for_frame(
                        self.session.media_id, self.session.frame
                    )
                }
                if self.session.media is not None
                else set()
            )
            for obj in self.session.objects():
                label = labels.get(obj.label_id)
                text = f"{obj.name}  ·  {label.name if label else 'no label'}"
                if obj.id not in on_frame:
                    text += "  (no mask here)"
                item = QListWidgetItem(color_icon(label.color if label else UNLABELED_COLOR), text)
                item.setData(Qt.ItemDataRole.UserRole, obj.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                hidden = obj.id in self.session.hidden
                item.setCheckState(Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
                self.list.addItem(item)
        self._updating = False
        if self.session is not None:
            self._select(self.session.object_id)

    def object_ids(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def _select(self, object_id: int) -> None:
        self._updating = True
        self.list.setCurrentRow(-1)
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == object_id:
                self.list.setCurrentRow(i)
                break
        self._updating = False

    def _on_current(self, item: QListWidgetItem | None, _previous) -> None:
        if not self._updating and self.session is not None:
            self.session.set_object(item.data(Qt.ItemDataRole.UserRole) if item else NONE)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._updating or self.session is None:
            return
        hidden = item.checkState() != Qt.CheckState.Checked
        self.session.set_hidden(item.data(Qt.ItemDataRole.UserRole), hidden)

    def _selected(self) -> int | None:
        if self.session is None or self.session.object_id == NONE:
            return None
        return self.session.object_id

    def _run(self, make_command) -> None:
        try:
            push_command(self.session, make_command())
        except VideoSegError as exc:
            self.errorOccurred.emit(str(exc))

    # -- actions ---------------------------------------------------------------------------
    def rename_selected(self, name: str | None = None) -> None:
        object_id = self._selected()
        if object_id is None:
            return
        if name is None:
            old = self.session.project.objects.get(object_id).name
            name, ok = QInputDialog.getText(self, "Rename object", "New name:", text=old)
            if not ok or not name.strip() or name.strip() == old:
                return
        self._run(lambda: RenameObjectCommand(self.session, object_id, name.strip()))

    def set_selected_label(self, label_id: int | None) -> None:
        object_id = self._selected()
        if object_id is not None:
            self._run(lambda: SetObjectLabelCommand(self.session, object_id, label_id))

    def toggle_hidden(self) -> None:
        object_id = self._selected()
        if object_id is not None:
            self.session.set_hidden(object_id, object_id not in self.session.hidden)

    def delete_selected(self) -> None:
        object_id = self._selected()
        if object_id is not None:
            self._run(lambda: DeleteObjectCommand(self.session, object_id))

    def _fill_label_menu(self) -> None:
        self.label_menu.clear()
        if self.session is None:
            return
        for label in self.session.labels():
            action = self.label_menu.addAction(color_icon(label.color), label.name)
            action.triggered.connect(lambda _=False, lid=label.id: self.set_selected_label(lid))
        self.label_menu.addSeparator()
        self.label_menu.addAction("No label").triggered.connect(
            lambda: self.set_selected_label(None)
        )
