"""Review mode in the window: the queue walked with J / Shift+J, accept (A) and reject (R) on
the undo stack, workflow states; the track overview and the media browser follow the flags."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, MediaStatus
from videoseg_desktop.store import MaskWrite

pytestmark = pytest.mark.usefixtures("qapp")


def box(x: int, y: int = 80, size: int = 40, shape=(240, 320)):
    mask = np.zeros(shape, bool)
    mask[y : y + size, x : x + size] = True
    return encode_rle(mask)


def put(project, object_id, frames, source=MaskSource.PROPAGATED, score=0.95):
    project.masks.put_many(
        MaskWrite(object_id, f, box(20 + 5 * f), source, "tiny", score) for f in frames
    )


@pytest.fixture
def flagged(video_driver):
    """The video with two objects: 'car' auto masks on 2-4 (one run), 'dog' low-confidence
    masks on frames 0 and 7 and a confident one on 8."""
    d = video_driver
    project, media_id = d.project, d.session.media_id
    car = project.objects.add(media_id, name="car")
    dog = project.objects.add(media_id, name="dog")
    put(project, car.id, [2, 3, 4], MaskSource.AUTO)
    put(project, dog.id, [0], score=0.3)
    put(project, dog.id, [7], score=0.4)
    put(project, dog.id, [8], score=0.4)
    put(project, dog.id, [9, 10, 11], score=0.95)
    d.window.review.refresh()
    return d, car.id, dog.id


def _where(d):
    return d.session.media_id, d.session.frame, d.session.object_id


def test_j_walks_the_queue_in_order_and_shift_j_goes_back(flagged):
    d, car, dog = flagged
    media = d.session.media_id
    review = d.window.review
    d.session.set_frame(0)
    seen = []
    for _ in range(4):
        d.key(Qt.Key.Key_J)
        seen.append((_where(d), review.item.frame_text))
    assert seen == [
        ((media, 0, dog), "0"),
        ((media, 2, car), "2-4"),
        ((media, 7, dog), "7-8"),
        ((media, 0, dog), "0"),  # wrapped around
    ]
    d.key(Qt.Key.Key_J, Qt.KeyboardModifier.ShiftModifier)
    assert _where(d) == (media, 7, dog)
    assert review.dock.position_label.text() == (
        "Item 3 of 3 on this media · 6 flagged masks on 1 media item"
    )
    assert "low confidence" in review.dock.item_label.text()


def test_accept_and_reject_are_undoable_in_the_window(flagged):
    d, car, dog = flagged
    project, media = d.project, d.session.media_id
    d.session.set_frame(1)
    d.key(Qt.Key.Key_J)  # the car's auto run, frames 2-4
    assert _where(d) == (media, 2, car)
    d.key(Qt.Key.Key_A)
    assert [f.frame for f in project.review.object_flags(car)] == []
    assert all(m.accepted_by for m in project.masks.for_object(car))
    assert _where(d) == (media, 7, dog)  # on to the next item
    d.key(Qt.Key.Key_R)
    assert [m.frame for m in project.masks.for_object(dog)] == [0, 9, 10, 11]
    assert [x.decision for x in project.review.decisions(media)] == ["accept", "reject"]

    d.key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the reject
    assert [m.frame for m in project.masks.for_object(dog)] == [0, 7, 8, 9, 10, 11]
    d.key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the accept
    assert [f.frame for f in project.review.object_flags(car)] == [2, 3, 4]
    assert project.review.decisions(media) == []
    d.key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [f.frame for f in project.review.object_flags(car)] == []  # redo accepts again


def test_reject_with_comment_removes_an_emptied_object_and_undo_brings_it_back(flagged):
    d, car, _dog = flagged
    project = d.project
    d.window.review.ask_comment = lambda *_: "not a car"
    d.session.set_frame(1)
    d.key(Qt.Key.Key_J)
    d.key(Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    assert car not in [o.id for o in d.objects()]
    (decision,) = project.review.decisions(d.session.media_id)
    assert (decision.decision, decision.comment) == ("reject", "not a car")
    d.window.session.undo_stack.undo()
    assert car in [o.id for o in d.objects()]
    assert [m.frame for m in project.masks.for_object(car)] == [2, 3, 4]


def test_workflow_states_from_the_keyboard(flagged):
    d, *_ = flagged
    project, media = d.project, d.session.media_id
    d.key(Qt.Key.Key_D)
    assert project.media.get(media).status is MediaStatus.DONE
    d.window.review.ask_comment = lambda *_: "frame 7 drifts"
    d.key(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    item = project.media.get(media)
    assert (item.status, item.status_comment) == (MediaStatus.NEEDS_CHANGES, "frame 7 drifts")
    d.window.review.refresh()
    assert "frame 7 drifts" in d.window.review.dock.status_comment.text()
    d.session.undo_stack.undo()
    assert project.media.get(media).status is MediaStatus.DONE


def test_track_overview_marks_flagged_frames_and_follows_an_accept(flagged):
    d, car, dog = flagged
    dock = d.window.video.dock
    dock.refresh_rows()
    rows = {r.object_id: r for r in dock.overview.rows}
    assert np.flatnonzero(rows[dog].flagged).tolist() == [0, 7, 8]
    assert np.flatnonzero(rows[car].flagged).tolist() == [2, 3, 4]
    assert "flagged for review" in rows[car].state_at(3)
    d.session.set_frame(1)
    d.key(Qt.Key.Key_J)
    d.key(Qt.Key.Key_A)
    dock.refresh_rows()
    rows = {r.object_id: r for r in dock.overview.rows}
    assert not rows[car].flagged.any()
    d.window.video.dock.overview.grab()  # paints the flag lane without error


def test_media_browser_filters_by_review_state_and_counts_flags_per_item(driver, qtbot):
    from videoseg_desktop.core.records import ObjectState

    project, dock = driver.project, driver.window.media_dock
    first, second, third = project.media.ids()
    shape = (480, 854)
    auto = project.objects.add(second, name="pre-label")
    project.masks.put(auto.id, 0, box(100, shape=shape), MaskSource.AUTO, "sam3", 0.9)
    hint = project.objects.add(third, name="maybe", state=ObjectState.SUGGESTED)
    project.masks.put(hint.id, 0, box(300, shape=shape), MaskSource.AUTO, "sam3", 0.6)
    project.review.set_status([third], MediaStatus.REVIEWED)
    qtbot.waitUntil(lambda: "Flagged for review (2)" in _combo(dock), timeout=3000)
    assert "Reviewed (1)" in _combo(dock) and "To do (2)" in _combo(dock)
    texts = [dock.model.data(dock.model.index(r, 0)) for r in range(3)]
    assert texts[1].endswith("⚑1") and texts[2].endswith("⚑1 ◇1 ★ reviewed")
    assert "1 flagged, 1 suggested" in dock.model.data(
        dock.model.index(2, 0), Qt.ItemDataRole.ToolTipRole
    )
    driver.session.set_media(second)
    dock.set_filter("flagged")
    assert dock.visible_ids() == [second, third]
    dock.set_filter("all", status="reviewed")
    assert dock.visible_ids() == [second, third]  # the current item stays listed
    driver.session.set_media(third)
    dock.set_filter("all", status="todo")
    assert dock.visible_ids() == [first, second, third]
    driver.session.set_media(first)
    dock.set_filter("all", status="todo")
    assert dock.visible_ids() == [first, second]


def _combo(dock) -> list[str]:
    return [dock.filter_combo.itemText(i) for i in range(dock.filter_combo.count())]


def test_a_brush_fix_makes_an_ordinary_edited_mask_that_is_not_flagged(flagged):
    d, car, _dog = flagged
    project = d.project
    d.session.set_frame(1)
    d.key(Qt.Key.Key_J)  # the car's auto run, frames 2-4
    d.window.video.go_to(3)
    d.key(Qt.Key.Key_B)
    d.drag(40, 100, 90, 110)  # paint onto the car's mask on frame 3
    record = project.masks.get(car, 3)
    assert record.source == MaskSource.EDITED and record.author == project.user
    assert 3 not in [f.frame for f in project.review.object_flags(car)]
    d.session.undo_stack.undo()
    assert project.masks.get(car, 3).source == MaskSource.AUTO
    assert 3 in [f.frame for f in project.review.object_flags(car)]
