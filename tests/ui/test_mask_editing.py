"""Mask editing tools driven by real mouse and key events on the studio's canvas.

Each test builds the real studio pieces (project store, ProjectSession, CanvasView,
CanvasPresenter) around a small image, sends events at exact image coordinates and checks the
mask in the store pixel for pixel against an independently computed raster.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.core.test_mask_ops import capsule_reference, pnpoly_reference
from videoseg_desktop.core import mask_ops
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import Project
from videoseg_desktop.ui.canvas.canvas_presenter import CanvasPresenter
from videoseg_desktop.ui.canvas.canvas_view import CanvasView
from videoseg_desktop.ui.editing import MaskEditing
from videoseg_desktop.ui.project.project_session import ProjectSession

W, H = 120, 80
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@dataclass
class Studio:
    project: Project
    session: ProjectSession
    canvas: CanvasView
    presenter: CanvasPresenter
    editing: MaskEditing

    @property
    def media_id(self) -> int:
        return self.session.media_id

    def stored(self, object_id: int, frame: int = 0) -> np.ndarray | None:
        record = self.project.masks.get(object_id, frame)
        return None if record is None else decode_rle(record.rle)

    def source(self, object_id: int, frame: int = 0) -> MaskSource:
        return self.project.masks.get(object_id, frame).source

    def add_object(self, mask: np.ndarray | None = None, frame: int = 0) -> int:
        obj = self.project.objects.add(self.media_id)
        if mask is not None:
            self.project.masks.put(obj.id, frame, encode_rle(mask), MaskSource.CLICKED, "sam")
        self.session.set_object(obj.id)
        return obj.id


def _make_studio(qtbot, tmp_path, media_path) -> Studio:
    project = Project.create(tmp_path / "project")
    project.import_media([media_path])
    session = ProjectSession(project)
    canvas = CanvasView()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    presenter = CanvasPresenter(session, canvas)
    editing = MaskEditing(canvas, session, presenter)
    session.restore()
    canvas.set_zoom(1.0)
    return Studio(project, session, canvas, presenter, editing)


@pytest.fixture
def studio(qtbot, tmp_path):
    image = np.full((H, W, 3), 90, np.uint8)
    image[20:60, 30:90] = (200, 120, 40)
    path = tmp_path / "picture.png"
    cv2.imwrite(str(path), image)
    s = _make_studio(qtbot, tmp_path, path)
    yield s
    s.editing.set_tool("prompt")
    s.session.close()
    s.project.close()


# -- events at exact image coordinates --------------------------------------------------------
def _viewport_pos(canvas: CanvasView, x: float, y: float) -> QPointF:
    return canvas.viewportTransform().map(QPointF(x, y))


def mouse(canvas, kind, x, y, button=LEFT, buttons=None, modifiers=NO_MOD) -> None:
    pos = _viewport_pos(canvas, x, y)
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, pos, canvas.viewport().mapToGlobal(pos), button, buttons, modifiers)
    QApplication.sendEvent(canvas.viewport(), event)


def stroke(canvas, points, modifiers=NO_MOD) -> None:
    (x0, y0), rest = points[0], points[1:]
    mouse(canvas, QEvent.Type.MouseButtonPress, x0, y0, modifiers=modifiers)
    for x, y in rest:
        mouse(canvas, QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, LEFT, modifiers)
    x1, y1 = points[-1]
    mouse(canvas, QEvent.Type.MouseButtonRelease, x1, y1, modifiers=modifiers)


def click(canvas, x, y, modifiers=NO_MOD, button=LEFT) -> None:
    mouse(canvas, QEvent.Type.MouseButtonPress, x, y, button, modifiers=modifiers)
    mouse(canvas, QEvent.Type.MouseButtonRelease, x, y, button, modifiers=modifiers)


def key(canvas, k) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(canvas, QKeyEvent(kind, k, NO_MOD))


def wheel(canvas, x, y, notches, modifiers) -> None:
    pos = _viewport_pos(canvas, x, y)
    event = QWheelEvent(
        pos,
        canvas.viewport().mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def square(x0, y0, x1, y1) -> np.ndarray:
    m = np.zeros((H, W), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


# -- brush -----------------------------------------------------------------------------------
def test_brush_stroke_stores_exactly_the_capsule_as_a_new_edited_object(studio):
    studio.editing.set_tool("brush")
    studio.editing.editor.set_brush_size(10)  # radius 5
    stack = studio.session.undo_stack
    stroke(studio.canvas, [(10, 10), (30, 10), (50, 10)])
    objects = studio.project.objects.list(studio.media_id)
    assert len(objects) == 1 and studio.session.object_id == objects[0].id
    expected = capsule_reference((H, W), (10, 10), (50, 10), 5)
    assert np.array_equal(studio.stored(objects[0].id), expected)
    assert studio.source(objects[0].id) == MaskSource.EDITED
    assert stack.count() == 1 and stack.undoText() == "Brush stroke"
    # The canvas shows the stored mask again (the live layer is gone).
    assert np.array_equal(studio.canvas.overlays[objects[0].id].mask, expected)
    assert studio.canvas.overlays[objects[0].id].isVisible()
    stack.undo()
    assert studio.project.objects.list(studio.media_id) == []
    stack.redo()
    (obj,) = studio.project.objects.list(studio.media_id)
    assert np.array_equal(studio.stored(obj.id), expected)


def test_brush_adds_to_the_selected_mask_and_undo_restores_it_exactly(studio):
    before = square(30, 20, 90, 60)
    oid = studio.add_object(before)
    studio.editing.set_tool("brush")
    studio.editing.editor.set_brush_size(6)
    stroke(studio.canvas, [(10.5, 70.5), (100.25, 75.75)])
    expected = before | capsule_reference((H, W), (10.5, 70.5), (100.25, 75.75), 3)
    assert np.array_equal(studio.stored(oid), expected)
    assert len(studio.project.objects.list(studio.media_id)) == 1
    studio.session.undo_stack.undo()
    record = studio.project.masks.get(oid, 0)
    assert np.array_equal(decode_rle(record.rle), before)
    assert record.source == MaskSource.CLICKED and record.model == "sam"


def test_eraser_and_ctrl_brush_erase_exactly_the_capsule(studio):
    before = square(30, 20, 90, 60)
    oid = studio.add_object(before)
    studio.editing.set_tool("eraser")
    studio.editing.editor.set_brush_size(8)
    stroke(studio.canvas, [(40, 40), (80, 40)])
    after_eraser = before & ~capsule_reference((H, W), (40, 40), (80, 40), 4)
    assert np.array_equal(studio.stored(oid), after_eraser)
    assert studio.session.undo_stack.undoText() == "Eraser stroke"
    studio.editing.set_tool("brush")
    stroke(studio.canvas, [(60, 25), (60, 55)], modifiers=CTRL)
    expected = after_eraser & ~capsule_reference((H, W), (60, 25), (60, 55), 4)
    assert np.array_equal(studio.stored(oid), expected)


def test_eraser_without_a_selected_object_changes_nothing(studio):
    studio.editing.set_tool("eraser")
    stroke(studio.canvas, [(40, 40), (80, 40)])
    assert studio.project.objects.list(studio.media_id) == []
    assert studio.session.undo_stack.count() == 0


def test_strokes_stay_continuous_when_zoomed_out(studio):
    oid = studio.add_object(np.zeros((H, W), dtype=bool))
    studio.canvas.set_zoom(0.25)  # 4 image pixels per screen pixel: far-apart events
    studio.editing.set_tool("brush")
    studio.editing.editor.set_brush_size(3)
    points = [(5.0, 5.0), (110.0, 12.0), (20.0, 70.0)]
    stroke(studio.canvas, points)
    got = studio.stored(oid)
    expected = capsule_reference((H, W), points[0], points[1], 1.5)
    expected |= capsule_reference((H, W), points[1], points[2], 1.5)
    assert np.array_equal(got, expected)
    # No gaps: every pixel on the centre lines is painted.
    for (ax, ay), (bx, by) in zip(points[:-1], points[1:], strict=True):
        for t in np.linspace(0, 1, 200):
            assert got[int(ay + t * (by - ay)), int(ax + t * (bx - ax))]


def test_stroke_is_one_undo_step_each(studio):
    oid = studio.add_object(np.zeros((H, W), dtype=bool))
    studio.editing.set_tool("brush")
    studio.editing.editor.set_brush_size(4)
    results = []
    for y in (10, 30, 50):
        stroke(studio.canvas, [(10, y), (30, y), (60, y)])
        results.append(studio.stored(oid))
    stack = studio.session.undo_stack
    assert stack.count() == 3
    stack.undo()
    stack.undo()
    assert np.array_equal(studio.stored(oid), results[0])
    stack.redo()
    assert np.array_equal(studio.stored(oid), results[1])


def test_live_layer_shows_the_stroke_before_release_and_the_store_waits(studio):
    before = square(30, 20, 90, 60)
    oid = studio.add_object(before)
    studio.editing.set_tool("brush")
    studio.editing.editor.set_brush_size(10)
    c = studio.canvas
    mouse(c, QEvent.Type.MouseButtonPress, 5, 5)
    mouse(c, QEvent.Type.MouseMove, 25, 5, Qt.MouseButton.NoButton, LEFT)
    tool = studio.editing.tools["brush"]
    live = tool._live
    assert live is not None and live.isVisible() and not c.overlays[oid].isVisible()
    assert live.mask[5, 20] and live.mask[25, 40]  # the stroke and the old mask
    assert np.array_equal(studio.stored(oid), before)  # nothing written while moving
    assert c.cancel_gesture()  # what the window's Esc does
    assert tool._live is None and c.overlays[oid].isVisible()
    mouse(c, QEvent.Type.MouseButtonRelease, 25, 5)
    assert np.array_equal(studio.stored(oid), before)
    assert studio.session.undo_stack.count() == 0


def test_brush_size_keys_wheel_and_cursor_preview(studio):
    editing, editor = studio.editing, studio.editing.editor
    editing.set_tool("brush")
    editor.set_brush_size(20)
    editing.bigger.trigger()
    assert editor.brush_size == 25
    editing.smaller.trigger()
    editing.smaller.trigger()
    assert editor.brush_size == 16
    editor.set_brush_size(1)
    editing.smaller.trigger()
    assert editor.brush_size == 1
    editing.bigger.trigger()
    assert editor.brush_size == 2
    zoom_before = studio.canvas.zoom_factor()
    wheel(studio.canvas, 50, 40, 1, CTRL)
    assert editor.brush_size == 3 and studio.canvas.zoom_factor() == zoom_before
    assert editing.size_box.value() == 3
    wheel(studio.canvas, 50, 40, 1, NO_MOD)  # a plain wheel still zooms
    assert studio.canvas.zoom_factor() > zoom_before
    # The cursor circle sits under the mouse at the brush's real size.
    editor.set_brush_size(30)
    mouse(
        studio.canvas,
        QEvent.Type.MouseMove,
        40,
        30,
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
    )
    cursor = editing.tools["brush"].cursor_item
    assert cursor.isVisible() and cursor.radius == 15.0
    assert abs(cursor.pos().x() - 40) < 1e-6 and abs(cursor.pos().y() - 30) < 1e-6
    assert cursor.scene() is studio.canvas.scene()
    editing.set_tool("prompt")
    assert cursor.scene() is None


# -- polygon ---------------------------------------------------------------------------------
def test_polygon_adds_the_region_and_closes_on_the_first_vertex(studio):
    before = square(0, 0, 10, 10)
    oid = studio.add_object(before)
    studio.editing.set_tool("polygon")
    vertices = [(20.0, 10.0), (100.0, 15.0), (80.0, 70.0), (25.0, 60.0)]
    for x, y in vertices:
        click(studio.canvas, x, y)
    assert studio.project.masks.get(oid, 0).source == MaskSource.CLICKED  # not yet
    click(studio.canvas, 21.0, 11.0)  # within 8 screen pixels of the first vertex
    expected = before | pnpoly_reference((H, W), vertices)
    assert np.array_equal(studio.stored(oid), expected)
    assert studio.source(oid) == MaskSource.EDITED
    assert studio.session.undo_stack.undoText() == "Polygon add"
    assert not studio.editing.tools["polygon"].drawing


def test_polygon_cut_with_modifier_double_click_and_backspace(studio):
    before = square(30, 20, 90, 60)
    oid = studio.add_object(before)
    studio.editing.set_tool("polygon")
    c = studio.canvas
    click(c, 40, 10, modifiers=CTRL)  # first vertex with Ctrl: a cut
    click(c, 70, 10)
    click(c, 5, 75)  # a mistake ...
    key(c, Qt.Key.Key_Backspace)  # ... taken back
    click(c, 70, 70)
    mouse(c, QEvent.Type.MouseButtonPress, 40, 70)
    mouse(c, QEvent.Type.MouseButtonRelease, 40, 70)
    mouse(c, QEvent.Type.MouseButtonDblClick, 40, 70)  # closes, adds no vertex
    mouse(c, QEvent.Type.MouseButtonRelease, 40, 70)
    region = pnpoly_reference((H, W), [(40, 10), (70, 10), (70, 70), (40, 70)])
    assert np.array_equal(studio.stored(oid), before & ~region)
    assert studio.session.undo_stack.undoText() == "Polygon cut"
    assert not studio.editing.tools["polygon"].drawing


def test_polygon_enter_closes_and_escape_abandons(studio):
    oid = studio.add_object(square(0, 0, 5, 5))
    studio.editing.set_tool("polygon")
    c = studio.canvas
    for x, y in [(10, 10), (50, 10), (50, 50)]:
        click(c, x, y)
    key(c, Qt.Key.Key_Escape)
    assert not studio.editing.tools["polygon"].drawing
    assert studio.session.undo_stack.count() == 0
    for x, y in [(10, 10), (50, 10), (50, 50)]:
        click(c, x, y)
    key(c, Qt.Key.Key_Return)
    expected = square(0, 0, 5, 5) | pnpoly_reference((H, W), [(10, 10), (50, 10), (50, 50)])
    assert np.array_equal(studio.stored(oid), expected)


# -- clean-up --------------------------------------------------------------------------------
def test_cleanup_actions_store_the_operation_result_one_step_each(studio):
    mask = square(20, 10, 100, 70)
    mask[30:34, 40:44] = False  # a hole
    mask[2:4, 2:4] = True  # an island of 4 px
    oid = studio.add_object(mask)
    e, stack = studio.editing, studio.session.undo_stack
    e.fill_holes.trigger()
    step1 = mask_ops.fill_holes(mask)
    assert np.array_equal(studio.stored(oid), step1) and studio.source(oid) == MaskSource.EDITED
    e.island_px.setValue(10)
    e.remove_islands.trigger()
    step2 = mask_ops.remove_islands(step1, 10)
    assert np.array_equal(studio.stored(oid), step2)
    e.grow_px.setValue(3)
    e.grow.trigger()
    step3 = mask_ops.grow(step2, 3)
    assert np.array_equal(studio.stored(oid), step3)
    e.shrink.trigger()
    step4 = mask_ops.shrink(step3, 3)
    assert np.array_equal(studio.stored(oid), step4)
    e.smooth_px.setValue(2)
    e.smooth.trigger()
    assert np.array_equal(studio.stored(oid), mask_ops.smooth_edges(step4, 2))
    assert stack.count() == 5
    assert [stack.text(i) for i in range(5)] == [
        "Fill holes",
        "Remove islands < 10 px",
        "Grow by 3 px",
        "Shrink by 3 px",
        "Smooth edge (2 px)",
    ]
    for _ in range(5):
        stack.undo()
    assert np.array_equal(studio.stored(oid), mask) and studio.source(oid) == MaskSource.CLICKED


def test_cleanup_that_changes_nothing_adds_no_undo_step(studio, qtbot):
    oid = studio.add_object(square(20, 10, 100, 70))
    with qtbot.waitSignal(studio.editing.statusMessage) as blocker:
        studio.editing.fill_holes.trigger()
    assert "nothing to change" in blocker.args[0]
    assert studio.session.undo_stack.count() == 0 and studio.source(oid) == MaskSource.CLICKED


def test_cleanup_needs_a_selected_object_with_a_mask(studio, qtbot):
    with qtbot.waitSignal(studio.editing.statusMessage):
        studio.editing.grow.trigger()
    studio.add_object(None)
    with qtbot.waitSignal(studio.editing.statusMessage) as blocker:
        studio.editing.grow.trigger()
    assert "no mask" in blocker.args[0]
    assert studio.session.undo_stack.count() == 0


def test_tool_actions_switch_the_canvas_tool(studio):
    e = studio.editing
    for name in ("brush", "eraser", "polygon", "prompt"):
        e.tool_actions[name].trigger()
        assert e.current_tool == name and e.tool_actions[name].isChecked()
    assert studio.canvas.tool is studio.canvas.prompt_tool
