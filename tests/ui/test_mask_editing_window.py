"""Mask editing inside the real main window, on video frames, and as prompts for the model.

Window tests use the studio's ``driver`` (DAVIS images, random-weights model at 256 px).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest

from tests.core.test_mask_ops import capsule_reference, pnpoly_reference
from tests.helpers.video import moving_square_frames, write_video
from tests.ui.test_mask_editing import LEFT, _make_studio, click, mouse, stroke
from videoseg_desktop.core.masks import decode_rle, encode_rle, mask_iou
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.ui.editing.edit_prompts import (
    add_mask_prompts,
    click_mask_prompt,
    edited_frames,
    edited_mask_prompts,
)

CTRL = Qt.KeyboardModifier.ControlModifier
NO_MOD = Qt.KeyboardModifier.NoModifier


def _window_stroke(driver, points) -> list[tuple[float, float]]:
    """Drag through ``points`` with QTest (integer view pixels); returns the image points hit."""
    viewport = driver.canvas.viewport()
    views = [driver.view_point(x, y) for x, y in points]
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, NO_MOD, views[0])
    for p in views[1:]:
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, NO_MOD, views[-1])
    return [driver.image_point(p) for p in views]


def _expected_stroke(shape, hits, radius):
    out = np.zeros(shape, dtype=bool)
    for a, b in zip(hits[:-1], hits[1:], strict=True):
        out |= capsule_reference(shape, a, b, radius)
    return out


# -- the window ------------------------------------------------------------------------------
def test_keys_switch_tools_and_size_and_the_actions_are_listed(driver):
    window, editing = driver.window, driver.window.editing
    for key, name in ((Qt.Key.Key_B, "brush"), (Qt.Key.Key_E, "eraser"), (Qt.Key.Key_P, "polygon")):
        driver.key(key)
        assert editing.current_tool == name
    driver.key(Qt.Key.Key_V)
    assert driver.canvas.tool is driver.canvas.prompt_tool
    size = editing.editor.brush_size
    driver.key(Qt.Key.Key_BracketRight)
    assert editing.editor.brush_size > size
    driver.key(Qt.Key.Key_BracketLeft)
    assert editing.editor.brush_size == size
    texts = [a.text().replace("&", "") for a in window.actions.all()]
    assert {"Brush", "Eraser", "Polygon", "Fill Holes", "Grow Mask"} <= set(texts)
    assert editing.dock.isVisible() and editing.toolbar.isVisible()


def test_brush_in_the_window_is_one_ctrl_z(driver):
    driver.key(Qt.Key.Key_B)
    editor = driver.window.editing.editor
    editor.set_brush_size(12)
    hits = _window_stroke(driver, [(100, 100), (160, 130), (240, 135)])
    (obj,) = driver.objects()
    record = driver.mask(obj.id)
    assert record.source == MaskSource.EDITED and record.model is None
    assert np.array_equal(decode_rle(record.rle), _expected_stroke((480, 854), hits, 6))
    driver.key(Qt.Key.Key_Z, CTRL)
    assert driver.objects() == []


def test_polygon_keys_win_over_the_window_shortcuts(driver):
    driver.key(Qt.Key.Key_B)
    driver.window.editing.editor.set_brush_size(10)
    _window_stroke(driver, [(50, 50), (60, 50)])
    (obj,) = driver.objects()
    before = decode_rle(driver.mask(obj.id).rle)
    driver.key(Qt.Key.Key_P)
    for x, y in ((300, 100), (500, 120), (700, 400)):
        driver.click(x, y)
    driver.key(Qt.Key.Key_Backspace)  # removes the vertex, not the object
    assert [o.id for o in driver.objects()] == [obj.id]
    driver.click(450, 400)
    driver.key(Qt.Key.Key_Return)  # closes the polygon, starts no new object
    assert driver.session.object_id == obj.id
    vertices = [
        driver.image_point(driver.view_point(x, y)) for x, y in ((300, 100), (500, 120), (450, 400))
    ]
    expected = before | pnpoly_reference((480, 854), vertices)
    assert np.array_equal(decode_rle(driver.mask(obj.id).rle), expected)
    driver.key(Qt.Key.Key_Escape)  # no gesture left: Esc deselects as before
    assert driver.session.object_id == -1


def test_a_click_after_an_edit_refines_from_the_edited_mask(driver):
    """ADR 0003: the edited mask is the click's mask prompt; the result stays "edited"."""
    answers = []
    driver.window.controller.maskApplied.connect(lambda answer, _s: answers.append(answer))
    driver.key(Qt.Key.Key_B)
    driver.window.editing.editor.set_brush_size(40)
    _window_stroke(driver, [(300, 200), (420, 220), (500, 300)])
    (obj,) = driver.objects()
    edited = driver.mask(obj.id)
    assert click_mask_prompt(driver.project, obj.id, 0) is not None
    driver.key(Qt.Key.Key_V)
    driver.click(420, 222)
    driver.wait_masks()
    assert answers and answers[-1].from_edit
    refined = driver.mask(obj.id)
    assert refined.source == MaskSource.EDITED and refined.model == "sam2.1_tiny@256"
    assert len(driver.prompts(obj.id)) == 1
    driver.key(Qt.Key.Key_Z, CTRL)  # the click goes; the hand edit comes back exactly
    back = driver.mask(obj.id)
    assert back.rle["counts"] == edited.rle["counts"] and back.source == MaskSource.EDITED
    assert driver.prompts(obj.id) == []


# -- video frames ----------------------------------------------------------------------------
@pytest.fixture
def video_studio(qtbot, tmp_path):
    clip = write_video(moving_square_frames(8, w=160, h=120), tmp_path / "clip.mp4")
    studio = _make_studio(qtbot, tmp_path, clip)
    yield studio
    studio.editing.set_tool("prompt")
    studio.session.close()
    studio.project.close()


def test_edits_on_a_video_frame_are_stored_on_that_frame_as_edited(video_studio):
    s = video_studio
    assert s.session.media.frame_count == 8
    oid = s.add_object(None)
    s.session.set_frame(5)
    s.editing.set_tool("brush")
    s.editing.editor.set_brush_size(10)
    stroke(s.canvas, [(20, 30), (60, 30)])
    s.editing.set_tool("polygon")
    for x, y in ((100, 60), (150, 60), (150, 110)):
        click(s.canvas, x, y)
    click(s.canvas, 100.5, 60.5)
    expected = capsule_reference((120, 160), (20, 30), (60, 30), 5)
    expected |= pnpoly_reference((120, 160), [(100, 60), (150, 60), (150, 110)])
    assert np.array_equal(s.stored(oid, 5), expected)
    assert s.project.masks.frames_of(oid) == [(5, MaskSource.EDITED)]
    assert edited_frames(s.project, oid) == [5]
    ((got_oid, frame, mask),) = edited_mask_prompts(s.project, [oid])
    assert (got_oid, frame) == (oid, 5) and np.array_equal(mask, expected)
    assert edited_mask_prompts(s.project, [oid], frames=range(0, 5)) == []
    # Undo goes back to frame 5 if the user moved away meanwhile.
    s.session.set_frame(0)
    s.session.undo_stack.undo()
    assert s.session.frame == 5
    assert np.array_equal(s.stored(oid, 5), capsule_reference((120, 160), (20, 30), (60, 30), 5))


@pytest.mark.slow
def test_edited_frames_become_mask_prompts_of_the_video_session(video_studio, random_checkpoint):
    from videoseg_desktop.inference.checkpoint import build_predictor
    from videoseg_desktop.inference.video_session import VideoSession

    s = video_studio
    oid = s.add_object(None)
    s.session.set_frame(2)
    s.editing.set_tool("brush")
    s.editing.editor.set_brush_size(50)
    stroke(s.canvas, [(40, 80), (110, 85)])
    edited = s.stored(oid, 2)
    predictor = build_predictor("tiny", random_checkpoint, 256, "cpu")
    frames = s.project.open_frames(s.session.media)
    with VideoSession(predictor, frames, s.project.cache_dir) as video:
        assert add_mask_prompts(video, edited_mask_prompts(s.project, [oid])) == 1
        assert video.prompted_frames(oid) == [2]
        # SAM 2.1 outputs a mask prompt's own frame as the prompt (use_mask_input_as_output).
        assert mask_iou(video.add_mask(oid, 2, edited).masks[oid], edited) > 0.9
        tracked = {}
        outcome = video.propagate(
            2, "forward", on_frame=lambda r: tracked.__setitem__(r.frame, r.masks[oid])
        )
    frames.close()
    assert outcome.frames_done >= 5 and sorted(tracked)[-1] == 7
    assert 2 not in tracked or mask_iou(tracked[2], edited) > 0.9


def test_a_mask_stored_during_a_stroke_is_kept_under_the_stroke(video_studio):
    """A model answer (or an undo) landing mid-stroke is not overwritten by the stroke."""
    s = video_studio
    first = np.zeros((120, 160), dtype=bool)
    first[10:40, 10:40] = True
    oid = s.add_object(first)
    s.editing.set_tool("eraser")
    s.editing.editor.set_brush_size(6)
    mouse(s.canvas, QEvent.Type.MouseButtonPress, 20, 20)
    mouse(s.canvas, QEvent.Type.MouseMove, 60, 20, Qt.MouseButton.NoButton, LEFT)
    answer = np.zeros((120, 160), dtype=bool)
    answer[0:60, 0:100] = True  # what the model sends while the eraser is down
    s.project.masks.put(oid, 0, encode_rle(answer), MaskSource.CLICKED, "sam")
    mouse(s.canvas, QEvent.Type.MouseButtonRelease, 60, 20)
    erased = capsule_reference((120, 160), (20, 20), (60, 20), 3)
    assert np.array_equal(s.stored(oid), answer & ~(first & erased))
    s.session.undo_stack.undo()
    assert np.array_equal(s.stored(oid), answer)
