"""The selected object's attributes: one editor per attribute of its label, set with the mouse
or the keyboard (Alt+1 … Alt+9 toggle the label's boolean attributes in order).

Per-frame attributes of a video are shown and set on the current frame, or on the frames typed
in the range box ("30-45"): a bulk change is one undo step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.attributes import AttributeKind, AttributeSpec
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.review_rules import parse_frame_range
from videoseg_desktop.ui.project.project_session import NONE
from videoseg_desktop.ui.project.undo_commands import push_command
from videoseg_desktop.ui.review.attribute_commands import SetAttributeCommand

MAX_KEYS = 9


class AttributesDock(QDockWidget):
    def __init__(self, window):
        super().__init__("Attributes", window)
        self.setObjectName("AttributesDock")
        self.window = window
        self.session = None
        self.specs: list[AttributeSpec] = []
        self.editors: dict[str, QWidget] = {}
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.range_edit = QLineEdit()
        self.range_edit.setPlaceholderText("current frame (or A-B)")
        self.range_edit.setToolTip(
            "Frames a per-frame attribute is set on: empty for the current frame, or a range "
            "such as 30-45 (one undo step)"
        )
        self.form = QFormLayout()
        self.schema_button = QPushButton("Edit the label's attributes…")
        self.schema_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        self.range_row = QFormLayout()
        self.range_row.addRow("Frames:", self.range_edit)
        layout.addLayout(self.range_row)
        layout.addWidget(self.schema_button)
        layout.addStretch(1)
        self.setWidget(body)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self.reload)
        self._loading = False

    @classmethod
    def install(cls, window, menu) -> AttributesDock:
        """The dock on the right, Alt+1 … Alt+9 in ``menu``, the label panel's button wired."""
        dock = cls(window)
        window.add_dock(dock, Qt.DockWidgetArea.RightDockWidgetArea)
        dock.toggle_actions = []
        for n in range(1, MAX_KEYS + 1):
            action = window.actions.add(menu, f"Toggle Boolean Attribute {n}", [f"Alt+{n}"])
            action.setProperty("summary", "Toggle the selected object's boolean attribute 1 to 9")
            action.setProperty("summary_keys", "Alt+1 … Alt+9")
            action.triggered.connect(lambda _=False, n=n: dock.toggle(n))
            dock.toggle_actions.append(action)
        window.read_only.watch(dock.toggle_actions, [dock])
        window.label_panel.attributesRequested.connect(dock.edit_schema)
        dock.schema_button.clicked.connect(
            lambda: dock.selected() and dock.edit_schema(dock.selected().label_id)
        )
        return dock

    def edit_schema(self, label_id: int):
        from videoseg_desktop.ui.review.attribute_schema_dialog import AttributeSchemaDialog

        if self.session is None:
            return None
        dialog = AttributeSchemaDialog(self.session, label_id, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.schema_dialog = dialog
        return dialog

    def set_session(self, session) -> None:
        if self.session is not None:
            for signal in (self.session.objectChanged, self.session.frameChanged):
                signal.disconnect(self._schedule)
            self.session.events.anyChanged.disconnect(self._on_store)
        self.session = session
        if session is not None:
            session.objectChanged.connect(self._schedule)
            session.frameChanged.connect(self._schedule)
            session.events.anyChanged.connect(self._on_store)
        self.reload()

    def _on_store(self, changes) -> None:
        if any(c.table in ("attributes", "objects", "labels") for c in changes):
            self._schedule()

    def _schedule(self, *_args) -> None:
        self._timer.start()

    # -- reading ---------------------------------------------------------------------------
    def selected(self):
        s = self.session
        if s is None or s.object_id == NONE or not s.has_object(s.object_id):
            return None
        return s.project.objects.get(s.object_id)

    def reload(self) -> None:
        self._timer.stop()
        self._loading = True
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors, self.specs = {}, []
        obj = self.selected()
        video = self.session is not None and self.session.media is not None
        video = video and self.session.media.frame_count > 1
        if obj is None or obj.label_id is None:
            self.heading.setText(
                "Select an object to see its attributes."
                if obj is None
                else f"{obj.name} has no label: attributes belong to a label."
            )
        else:
            attrs = self.session.project.attributes
            self.specs = attrs.specs(obj.label_id)
            label = self.session.label_by_id(obj.label_id)
            frame = self.session.frame
            self.heading.setText(
                f"<b>{obj.name}</b> ({label.name if label else '?'})"
                + ("" if self.specs else ": this label has no attributes yet.")
            )
            values = attrs.current(obj.id, frame)
            keys = iter(range(1, MAX_KEYS + 1))
            for spec in self.specs:
                key = next(keys, None) if spec.kind is AttributeKind.BOOL else None
                editor = self._editor(spec, values.get(spec.name), key)
                title = spec.name + (f" (frame {frame})" if spec.per_frame and video else "")
                editor.setEnabled(not self.session.project.read_only)
                self.form.addRow(title + ":", editor)
                self.editors[spec.name] = editor
        self.range_edit.setVisible(video and any(s.per_frame for s in self.specs))
        self.range_row.labelForField(self.range_edit).setVisible(self.range_edit.isVisible())
        self.schema_button.setEnabled(obj is not None and obj.label_id is not None)
        self._loading = False

    def _editor(self, spec: AttributeSpec, value, key: int | None) -> QWidget:
        if spec.kind is AttributeKind.BOOL:
            box = QCheckBox(f"Alt+{key}" if key else "")
            box.setChecked(bool(value))
            box.toggled.connect(lambda on, s=spec: self._set(s, on))
            return box
        if spec.kind is AttributeKind.CHOICE:
            combo = QComboBox()
            combo.addItem("—", None)
            for choice in spec.choices:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(combo.findData(value), 0) if value is not None else 0)
            combo.activated.connect(lambda i, s=spec, c=combo: self._set(s, c.itemData(i)))
            return combo
        edit = QLineEdit("" if value is None else _show(value))
        if spec.kind is AttributeKind.NUMBER:
            edit.setPlaceholderText(spec.describe())
        edit.editingFinished.connect(lambda s=spec, e=edit: self._set_text(s, e.text()))
        return edit

    # -- writing ---------------------------------------------------------------------------
    def _set_text(self, spec: AttributeSpec, text: str) -> None:
        if self._loading:
            return
        text = text.strip()
        if not text:
            self._set(spec, None)
            return
        if spec.kind is AttributeKind.NUMBER:
            try:
                self._set(spec, float(text))
            except ValueError:
                self.window.show_error(f"attribute {spec.name!r} takes a number, not {text!r}")
                self._schedule()
            return
        self._set(spec, text)

    def frames_for(self, spec: AttributeSpec) -> tuple[int, int] | None:
        if not spec.per_frame:
            return None
        text = self.range_edit.text().strip()
        if not text:
            return (self.session.frame, self.session.frame)
        return parse_frame_range(text, self.session.media.frame_count)

    def set_value(self, name: str, value) -> bool:
        """Set the selected object's attribute ``name`` (on the frames chosen, if per frame)."""
        spec = next((s for s in self.specs if s.name == name), None)
        return spec is not None and self._set(spec, value)

    def _set(self, spec: AttributeSpec, value) -> bool:
        if self._loading:
            return False
        obj = self.selected()
        if obj is None:
            return False
        try:
            command = SetAttributeCommand(self.session, obj.id, spec, value, self.frames_for(spec))
            push_command(self.session, command)
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            self._schedule()  # the editor goes back to the stored value
            return False
        return True

    def toggle(self, n: int) -> bool:
        """Flip the n-th (from 1) boolean attribute of the selected object's label."""
        self.reload()  # the keyboard may be faster than the refresh timer
        flags = [s for s in self.specs if s.kind is AttributeKind.BOOL]
        if not 1 <= n <= len(flags):
            self.window.statusBar().showMessage(f"No boolean attribute {n} on this label.", 4000)
            return False
        spec = flags[n - 1]
        try:  # the opposite of the value on the first frame it is set on
            frames = self.frames_for(spec)
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            return False
        at = frames[0] if frames else self.session.frame
        current = self.session.project.attributes.current(self.session.object_id, at)
        done = self._set(spec, not bool(current.get(spec.name)))
        if done:
            self.reload()
        return done


def _show(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
