"""Clicks, boxes and keys on the real window reach the store as prompts, objects and masks."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import MaskSource

NONE = -1


def test_click_starts_an_object_with_a_positive_point_and_its_mask(driver):
    driver.click(420.5, 250.25)
    # Optimistic display: the object, prompt and marker exist before the model answers.
    (obj,) = driver.objects()
    assert obj.label_id == driver.session.label_id == driver.project.labels.get("car").id
    assert driver.session.object_id == obj.id
    (prompt,) = driver.prompts()
    assert prompt.kind == "point" and prompt.positive
    assert abs(prompt.coords[0] - 420.5) < 1.0 and abs(prompt.coords[1] - 250.25) < 1.0
    assert len(driver.canvas.prompt_items) == 1

    driver.wait_masks()
    record = driver.mask()
    assert record.source is MaskSource.CLICKED
    assert record.model == "sam2.1_tiny@256"
    assert record.rle["size"] == [480, 854]
    assert driver.project.media.get(driver.session.media_id).annotated == (record.area > 0)
    overlay = driver.canvas.overlays.get(obj.id)
    if record.area:
        assert np.array_equal(overlay.mask, decode_rle(record.rle))


def test_ctrl_and_shift_click_add_negative_points(driver):
    driver.click(300, 200)
    driver.click(310, 210, Qt.KeyboardModifier.ControlModifier)
    driver.click(320, 220, Qt.KeyboardModifier.ShiftModifier)
    assert [p.positive for p in driver.prompts()] == [True, False, False]
    assert len(driver.objects()) == 1
    driver.wait_masks()
    assert driver.mask() is not None
    assert sum(not item.positive for item in driver.canvas.prompt_items) == 2


def test_drag_draws_a_box_and_a_new_box_replaces_it(driver):
    driver.drag(100, 100, 300, 260)
    (box,) = driver.prompts()
    assert box.kind == "box"
    x0, y0, x1, y1 = box.coords
    assert abs(x0 - 100) < 2 and abs(y0 - 100) < 2 and abs(x1 - 300) < 2 and abs(y1 - 260) < 2
    driver.wait_masks()
    first_mask = driver.mask()
    assert first_mask is not None
    driver.drag(400, 120, 200, 300)  # dragged right-to-left: stored normalised
    (box,) = driver.prompts()
    assert box.coords[0] < box.coords[2] and box.coords[1] < box.coords[3]
    driver.wait_masks()
    assert driver.mask().updated_at >= first_mask.updated_at


def test_right_click_removes_the_nearest_prompt(driver):
    driver.click(200, 200)
    driver.click(400, 300, Qt.KeyboardModifier.ControlModifier)
    driver.wait_masks()
    driver.right_click(398, 303)
    (left,) = driver.prompts()
    assert left.positive and abs(left.coords[0] - 200) < 1
    driver.wait_masks()
    assert driver.mask() is not None
    driver.right_click(202, 198)
    assert driver.prompts() == []
    driver.wait_masks()
    assert driver.mask() is None  # no prompts, no mask
    assert not driver.project.media.get(driver.session.media_id).annotated


def test_right_click_far_from_any_prompt_removes_nothing(driver):
    driver.click(200, 200)
    driver.right_click(700, 420)
    assert len(driver.prompts()) == 1


def test_n_and_enter_start_new_objects_esc_deselects_tab_cycles_delete_removes(driver):
    driver.click(150, 150)
    first = driver.session.object_id
    driver.key(Qt.Key.Key_N)
    assert driver.session.object_id == NONE
    driver.click(600, 300)
    second = driver.session.object_id
    assert second not in (NONE, first)
    driver.key(Qt.Key.Key_Return)
    driver.click(700, 100)
    third = driver.session.object_id
    assert len({first, second, third}) == 3
    driver.key(Qt.Key.Key_Escape)
    assert driver.session.object_id == NONE
    driver.key(Qt.Key.Key_Tab)
    assert driver.session.object_id == first
    driver.key(Qt.Key.Key_Tab)
    assert driver.session.object_id == second
    driver.key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert driver.session.object_id == first
    driver.wait_masks()
    driver.key(Qt.Key.Key_Delete)
    assert [o.id for o in driver.objects()] == [second, third]
    assert driver.session.object_id == NONE
    assert first not in driver.canvas.overlays


def test_superseded_answers_never_reach_the_store(driver):
    applied = []
    driver.window.controller.maskApplied.connect(lambda answer, _s: applied.append(answer))
    driver.click(300, 200)
    driver.wait_masks()
    applied.clear()
    # Three quick clicks: each request supersedes the one before.
    driver.click(320, 210)
    driver.click(340, 220, Qt.KeyboardModifier.ControlModifier)
    driver.click(360, 230)
    driver.wait_masks()
    assert len(applied) <= 3
    assert applied[-1].request_id == max(a.request_id for a in applied)
    # What is stored is the answer to all four prompts, computed by the engine directly.
    engine = driver.window.client.worker.engine
    image = driver.session.image()
    from videoseg_desktop.core.prompts import Point

    points = [Point(p.coords[0], p.coords[1], p.positive) for p in driver.prompts()]
    assert len(points) == 4
    expected = engine.image_session().predict("check", image, points, None)
    assert np.array_equal(decode_rle(driver.mask().rle), expected.mask)


def test_hover_highlights_the_object_under_the_cursor(driver, qtbot):
    driver.drag(100, 100, 500, 400)
    driver.wait_masks()
    obj = driver.session.object_id
    overlay = driver.canvas.overlays.get(obj)
    if overlay is None:  # random weights may give an empty mask: nothing to hover
        return
    # A pixel whose neighbours are masked too: an edge pixel can round to its empty neighbour
    # in view coordinates at some zooms.
    m = overlay.mask
    inner = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    ys, xs = np.nonzero(inner)
    if len(xs) == 0:
        return
    from PySide6.QtTest import QTest

    QTest.mouseMove(driver.canvas.viewport(), driver.view_point(xs[0] + 1.5, ys[0] + 1.5))
    qtbot.waitUntil(lambda: driver.canvas.hovered_object == obj, timeout=2000)
    assert overlay.hovered
