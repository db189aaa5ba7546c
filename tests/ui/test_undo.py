"""Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y undo and redo prompts, objects, labels and mask edits."""

from __future__ import annotations

from PySide6.QtCore import Qt

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.ui.project.undo_commands import ReplaceMaskCommand, push_command

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _state(driver):
    media_id = driver.session.media_id
    objects = driver.project.objects.list(media_id)
    return [
        (
            o.id,
            o.name,
            o.label_id,
            [(p.id, p.kind, p.coords, p.positive) for p in driver.project.prompts.list(o.id)],
            [
                (m.frame, m.rle["counts"], m.source, m.score, m.author)
                for m in driver.project.masks.for_object(o.id)
            ],
            driver.project.attributes.values(o.id),
        )
        for o in objects
    ]


def test_undo_and_redo_prompts_and_objects_restore_the_store_exactly(driver):
    driver.click(200, 200)
    driver.wait_masks()
    after_first = _state(driver)
    # the model's confidence (SAM's predicted IoU) and who clicked are stored with the mask
    (_frame, _counts, source, score, author) = after_first[0][4][0]
    assert source is MaskSource.CLICKED and 0 <= score <= 1
    assert author == driver.project.user == driver.project.objects.get(after_first[0][0]).author
    driver.click(260, 240, CTRL)
    driver.wait_masks()
    after_second = _state(driver)
    assert len(after_second[0][3]) == 2

    driver.key(Qt.Key.Key_Z, CTRL)
    assert _state(driver) == after_first  # prompt gone, the earlier mask back exactly
    driver.key(Qt.Key.Key_Z, CTRL)
    assert _state(driver) == []  # the object itself is undone
    assert not driver.project.media.get(driver.session.media_id).annotated

    driver.key(Qt.Key.Key_Z, CTRL_SHIFT)
    driver.wait_masks()
    assert _state(driver) == after_first
    driver.key(Qt.Key.Key_Y, CTRL)  # redo puts back the mask it remembered: no model call
    assert driver.window.controller.pending() == 0
    assert _state(driver) == after_second


def test_undo_of_a_deleted_object_brings_back_its_prompts_masks_and_attributes(driver):
    driver.drag(100, 100, 400, 300)
    driver.click(250, 200)
    driver.wait_masks()
    car = driver.project.labels.get("car")
    driver.project.objects.set_label(driver.session.object_id, car.id)
    spec = driver.project.attributes.add_spec(car.id, "parked", "bool")
    driver.project.attributes.set_value(driver.session.object_id, spec, True)
    before = _state(driver)
    assert before[0][5] != []
    driver.key(Qt.Key.Key_Delete)
    assert _state(driver) == []
    driver.key(Qt.Key.Key_Z, CTRL)
    assert _state(driver) == before
    assert driver.session.object_id == before[0][0]


def test_undo_goes_back_to_the_media_it_happened_on(driver):
    driver.click(200, 200)
    driver.wait_masks()
    first_media = driver.session.media_id
    driver.key(Qt.Key.Key_Right)
    assert driver.session.media_id != first_media
    driver.key(Qt.Key.Key_Z, CTRL)
    assert driver.session.media_id == first_media
    assert driver.objects() == []  # the first click made the object: undone together


def test_mask_edits_undo_and_redo(driver):
    driver.click(200, 200)
    driver.wait_masks()
    obj = driver.session.object_id
    clicked = driver.mask()
    import numpy as np

    edited = np.zeros((480, 854), bool)
    edited[10:50, 20:90] = True
    push_command(driver.session, ReplaceMaskCommand(driver.session, obj, 0, encode_rle(edited)))
    assert driver.mask().source is MaskSource.EDITED and driver.mask().area == 40 * 70
    assert driver.canvas.overlays[obj].mask.sum() == 40 * 70
    driver.key(Qt.Key.Key_Z, CTRL)
    assert driver.mask().rle == clicked.rle and driver.mask().source is MaskSource.CLICKED
    driver.key(Qt.Key.Key_Y, CTRL)
    assert driver.mask().area == 40 * 70


def test_label_edits_undo_and_redo(driver):
    panel = driver.window.label_panel
    project = driver.project
    panel.add_label("boat", "#123456")
    assert project.labels.get("boat").color == "#123456"
    panel.rename_current("ship")
    panel.recolor_current("#654321")
    assert project.labels.get("ship").color == "#654321"
    driver.key(Qt.Key.Key_Z, CTRL)
    assert project.labels.get("ship").color == "#123456"
    driver.key(Qt.Key.Key_Z, CTRL)
    assert project.labels.get("boat") is not None and project.labels.get("ship") is None
    driver.key(Qt.Key.Key_Z, CTRL)
    assert project.labels.get("boat") is None
    driver.key(Qt.Key.Key_Y, CTRL)
    assert project.labels.get("boat").color == "#123456"


def test_deleting_a_label_keeps_its_objects_and_undo_relabels_them(driver):
    driver.click(200, 200)
    driver.wait_masks()
    car = driver.project.labels.get("car")
    obj = driver.session.object_id
    panel = driver.window.label_panel
    driver.session.set_label(car.id)
    driver.project.objects.set_label(obj, car.id)
    spec = driver.project.attributes.add_spec(car.id, "colour", "choice", ["red", "blue"])
    driver.project.attributes.set_value(obj, spec, "red")
    panel.delete_current(confirm=False)
    assert driver.project.labels.get("car") is None
    assert driver.project.objects.get(obj).label_id is None
    assert driver.project.attributes.specs() == []  # they went with the label
    driver.key(Qt.Key.Key_Z, CTRL)
    assert driver.project.labels.get("car") == car
    assert driver.project.objects.get(obj).label_id == car.id
    assert driver.project.attributes.specs() == [spec]
    assert driver.project.attributes.current(obj) == {"colour": "red"}
