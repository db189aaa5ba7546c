"""Attributes in the window: a label's schema from the label panel, values from the keyboard
(Alt+n toggles the n-th boolean attribute), per frame and in bulk on a frame range, undoable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def car(video_driver):
    d = video_driver
    project = d.project
    label = project.labels.get("car")
    obj = project.objects.add(d.session.media_id, label.id, "car 1")
    d.session.set_object(obj.id)
    return d, label.id, obj.id


def _values(project, object_id):
    specs = {s.id: s.name for s in project.attributes.specs()}
    return sorted(
        (specs[v.spec_id], v.frames, v.value) for v in project.attributes.values(object_id)
    )


def test_label_panel_defines_the_schema_and_undo_takes_it_back(car):
    d, label, _obj = car
    d.window.label_panel.list.setCurrentRow(0)
    d.window.label_panel.edit_attributes()
    dialog = d.window.review.attributes.schema_dialog
    assert dialog.add("occluded", "bool", per_frame=True)
    dialog.name_edit.setText("colour")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("choice"))
    dialog.choices_edit.setText("red, blue")
    assert dialog.add_from_form()
    dialog.name_edit.setText("speed")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("number"))
    dialog.min_edit.setText("0")
    dialog.max_edit.setText("abc")
    assert not dialog.add_from_form() and "number" in dialog.error
    dialog.max_edit.setText("200")
    assert dialog.add_from_form()
    specs = d.project.attributes.specs(label)
    assert [(s.name, s.describe()) for s in specs] == [
        ("occluded", "bool, per frame"),
        ("colour", "choice (red, blue)"),
        ("speed", "number [0..200]"),
    ]
    assert dialog.list.count() == 3
    assert not dialog.add("occluded", "bool")  # a second one of that name: refused
    d.session.undo_stack.undo()
    assert [s.name for s in d.project.attributes.specs(label)] == ["occluded", "colour"]
    dialog.close()


def test_alt_keys_toggle_boolean_attributes_per_frame_and_in_bulk(car):
    d, label, obj = car
    attrs = d.project.attributes
    attrs.add_spec(label, "occluded", "bool", per_frame=True)
    attrs.add_spec(label, "colour", "choice", choices=["red", "blue"])
    attrs.add_spec(label, "parked", "bool")
    dock = d.window.review.attributes
    d.window.video.go_to(3)
    d.key(Qt.Key.Key_1, ALT)  # occluded on frame 3
    d.key(Qt.Key.Key_2, ALT)  # parked (the second boolean attribute)
    assert _values(d.project, obj) == [("occluded", (3, 3), True), ("parked", None, True)]
    dock.range_edit.setText("5-8")
    d.key(Qt.Key.Key_1, ALT)  # occluded on 5-8, one step
    assert ("occluded", (5, 8), True) in _values(d.project, obj)
    assert dock.set_value("colour", "blue")
    assert attrs.current(obj, 6) == {"occluded": True, "colour": "blue", "parked": True}
    assert not dock.set_value("colour", "green")  # not a listed choice: refused, one message
    assert "green" in d.window.last_error
    stack = d.session.undo_stack  # (the error box has the keyboard now)
    stack.undo()  # colour
    stack.undo()  # the bulk range
    assert _values(d.project, obj) == [("occluded", (3, 3), True), ("parked", None, True)]
    stack.redo()
    assert ("occluded", (5, 8), True) in _values(d.project, obj)
    dock.reload()
    assert dock.editors["parked"].isChecked()
    assert [v.author for v in attrs.values(obj)] == [d.project.user] * 3
