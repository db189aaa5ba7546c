"""Per-track editing from the timeline: delete a frame range, change the label, merge two
tracks, split a track; each one undo step on the shared stack that restores exactly."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource


def _square(x: int, size: int = 40) -> dict:
    mask = np.zeros((240, 320), bool)
    mask[60 : 60 + size, x : x + size] = True
    return encode_rle(mask)


def _snapshot(project, media_id):
    """Everything of the media's objects, ids included, to compare after undo."""
    return [
        (
            o,
            [(p.id, p.frame, p.kind, p.coords, p.positive) for p in project.prompts.list(o.id)],
            [(m.frame, m.rle["counts"], m.source, m.model) for m in project.masks.for_object(o.id)],
        )
        for o in project.objects.list(media_id)
    ]


def _tracked_object(project, media_id, label="car", frames=range(0, 10), clicked=(0,), shift=0):
    obj = project.objects.add(media_id, project.labels.get(label).id)
    for frame in clicked:
        project.prompts.add(obj.id, frame, "point", (30 + frame * 7, 80), True)
    project.masks.put_many(
        (
            obj.id,
            f,
            _square(10 + f * 7 + shift),
            MaskSource.CLICKED if f in clicked else MaskSource.PROPAGATED,
            "sam2.1_tiny@256",
        )
        for f in frames
    )
    return obj


def test_delete_a_frame_range_with_its_prompts_and_undo(video_driver, qtbot):
    d = video_driver
    project, media_id = d.project, d.session.media_id
    obj = _tracked_object(project, media_id, clicked=(0, 5))
    before = _snapshot(project, media_id)
    d.session.set_object(obj.id)
    video = d.window.video
    dialog = video.ask_delete_range(obj.id)
    dialog.first_box.setValue(7)
    dialog.last_box.setValue(4)  # either order
    dialog.accept()
    assert [f for f, _ in project.masks.frames_of(obj.id)] == [0, 1, 2, 3, 8, 9]
    assert project.prompts.frames(obj.id) == [0]  # the prompt on 5 would re-create frame 5
    assert d.session.undo_stack.undoText() == f"Delete {obj.name} frames 4–7"
    rows = video.dock.overview
    qtbot.waitUntil(lambda: bool(rows.rows) and not rows.rows[0].codes[4:8].any(), timeout=3000)
    d.session.undo_stack.undo()
    assert _snapshot(project, media_id) == before
    d.session.undo_stack.redo()
    assert [f for f, _ in project.masks.frames_of(obj.id)] == [0, 1, 2, 3, 8, 9]
    # Nothing in the range: a clear message, nothing pushed.
    count = d.session.undo_stack.count()
    assert not video.delete_range(obj.id, 4, 8)
    assert "no masks in frames 4–7" in d.window.last_error
    assert d.session.undo_stack.count() == count


def test_change_label_from_the_row_menu(video_driver):
    d = video_driver
    project, media_id = d.project, d.session.media_id
    obj = _tracked_object(project, media_id)
    menu = QMenu()
    d.window.video._fill_row_menu(menu, "all", obj.id)
    label_menu = next(a.menu() for a in menu.actions() if a.text() == "Change Label")
    (animal,) = [a for a in label_menu.actions() if a.text() == "animal"]
    animal.trigger()
    assert project.objects.get(obj.id).label_id == project.labels.get("animal").id
    d.session.undo_stack.undo()
    assert project.objects.get(obj.id).label_id == project.labels.get("car").id


def test_merge_two_tracks_and_undo_restores_both(video_driver):
    d = video_driver
    project, media_id = d.project, d.session.media_id
    keep = _tracked_object(project, media_id, frames=range(0, 6), clicked=(0,))
    other = _tracked_object(project, media_id, "animal", range(4, 11), clicked=(8,), shift=20)
    before = _snapshot(project, media_id)
    d.session.set_object(other.id)
    menu = d.window.video.actions.merge_menu
    menu.aboutToShow.emit()
    (into_keep,) = [a for a in menu.actions() if a.text() == keep.name]
    into_keep.trigger()
    assert [o.id for o in project.objects.list(media_id)] == [keep.id]
    merged = dict(project.masks.frames_of(keep.id))
    assert sorted(merged) == list(range(0, 11))
    assert merged[0] == merged[8] == MaskSource.CLICKED
    assert merged[4] == merged[5] == MaskSource.PROPAGATED  # both propagated: union, same source
    union = decode_rle(_square(10 + 4 * 7)) | decode_rle(_square(10 + 4 * 7 + 20))
    assert union.sum() > decode_rle(_square(0)).sum()
    assert np.array_equal(decode_rle(project.masks.get(keep.id, 4).rle), union)
    assert project.prompts.frames(keep.id) == [0, 8]
    assert d.session.object_id == keep.id
    d.session.undo_stack.undo()
    assert _snapshot(project, media_id) == before
    d.session.undo_stack.redo()
    assert [o.id for o in project.objects.list(media_id)] == [keep.id]


def test_split_a_track_at_the_current_frame(video_driver):
    d = video_driver
    project, media_id = d.project, d.session.media_id
    obj = _tracked_object(project, media_id, frames=range(0, 12), clicked=(0, 9))
    before = _snapshot(project, media_id)
    d.session.set_object(obj.id)
    d.window.video.go_to(6)
    d.key(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    objects = project.objects.list(media_id)
    assert len(objects) == 2
    new = objects[1]
    assert new.label_id == obj.label_id and d.session.object_id == new.id
    assert [f for f, _ in project.masks.frames_of(obj.id)] == list(range(0, 6))
    assert [f for f, _ in project.masks.frames_of(new.id)] == list(range(6, 12))
    assert dict(project.masks.frames_of(new.id))[9] == MaskSource.CLICKED
    assert project.prompts.frames(new.id) == [9] and project.prompts.frames(obj.id) == [0]
    d.session.undo_stack.undo()
    assert _snapshot(project, media_id) == before
    d.session.undo_stack.redo()
    assert [o.id for o in project.objects.list(media_id)] == [obj.id, new.id]  # same id back
    # Splitting where nothing is on one side refuses with a message.
    assert not d.window.video.split(new.id, 6)
    assert "nothing to split" in d.window.last_error
