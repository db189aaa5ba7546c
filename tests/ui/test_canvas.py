"""The canvas on its own: zoom, pan, pixel-exact overlays and markers (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest

from videoseg_desktop.core.records import PromptRecord
from videoseg_desktop.ui.canvas.canvas_view import CanvasView
from videoseg_desktop.ui.canvas.overlay_items import FILL_OPACITY


@pytest.fixture
def canvas(qtbot):
    view = CanvasView()
    view.resize(800, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    rgb = np.zeros((100, 160, 3), np.uint8)
    rgb[:, :, 1] = 80
    view.set_image(rgb)
    return view


def _render(view: CanvasView) -> np.ndarray:
    image = QImage(view.viewport().size(), QImage.Format.Format_RGB32)
    painter = QPainter(image)
    view.render(painter)
    painter.end()
    ptr = image.constBits()
    arr = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return arr[:, : image.width(), 2::-1].copy()  # BGRA -> RGB


def test_fit_then_one_to_one_and_wheel_zoom(canvas, qtbot):
    assert canvas.physical_zoom() == pytest.approx(min(800 / 160, 600 / 100), rel=0.05)
    canvas.actual_size()
    assert canvas.physical_zoom() == pytest.approx(1.0)
    zooms = []
    canvas.zoomChanged.connect(zooms.append)
    center = canvas.viewport().rect().center()
    from PySide6.QtGui import QWheelEvent

    event = QWheelEvent(
        QPointF(center), QPointF(canvas.mapToGlobal(center)), QPoint(0, 0), QPoint(0, 240),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    canvas.wheelEvent(event)
    assert canvas.physical_zoom() == pytest.approx(1.25**2)
    assert zooms[-1] == pytest.approx(1.25**2)
    canvas.zoom_out()
    assert canvas.physical_zoom() == pytest.approx(1.25)
    canvas.fit()
    assert canvas.physical_zoom() > 4


def test_middle_drag_pans(canvas):
    canvas.set_zoom(12.0)
    before = canvas.mapToScene(canvas.viewport().rect().center())
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(400, 300))
    QTest.mouseMove(viewport, QPoint(300, 250))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(300, 250))
    after = canvas.mapToScene(canvas.viewport().rect().center())
    assert after.x() - before.x() == pytest.approx(100 / 12, abs=0.5)
    assert after.y() - before.y() == pytest.approx(50 / 12, abs=0.5)


def test_space_drag_pans_instead_of_prompting(canvas):
    points = []
    canvas.prompt_tool.pointRequested.connect(points.append)
    canvas.set_zoom(10.0)
    before = canvas.horizontalScrollBar().value()
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    QTest.mouseMove(viewport, QPoint(350, 300))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(350, 300))
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.horizontalScrollBar().value() == before + 50
    assert points == []


@pytest.mark.parametrize("zoom", [1.0, 3.0, 8.0, 17.0])
def test_mask_fill_and_outline_sit_exactly_on_their_pixels(canvas, zoom):
    """Mask pixels are tinted, others are not, and the outline lies on the pixel edges."""
    mask = np.zeros((100, 160), bool)
    mask[30:50, 50:80] = True
    mask[38:40, 60:62] = False  # a hole
    canvas.set_overlay(1, mask, QColor("#FF0000"))
    canvas.set_zoom(zoom)
    canvas.centerOn(QPointF(52.0, 39.0))
    shot = _render(canvas)

    def colour_at(x: float, y: float) -> np.ndarray:
        p = canvas.mapFromScene(QPointF(x, y))
        return shot[p.y(), p.x()].astype(int)

    background = np.array([0, 80, 0])
    tinted = background * (1 - FILL_OPACITY) + np.array([255, 0, 0]) * FILL_OPACITY
    assert np.abs(colour_at(53.5, 34.5) - tinted).max() <= 3
    assert np.abs(colour_at(45.5, 40.5) - background).max() <= 3
    if zoom >= 3:
        assert np.abs(colour_at(61.0, 39.0) - background).max() <= 3  # the hole shows through
    if zoom >= 8:
        # Just inside and just outside the left edge x=50 (2.5 screen px either side).
        step = 2.5 / zoom
        assert np.abs(colour_at(50 + step, 40.5) - tinted).max() <= 3
        assert np.abs(colour_at(50 - step, 40.5) - background).max() <= 3
        on_edge = colour_at(50.0, 40.5)
        assert on_edge[0] > 150 and on_edge[1] < 60  # the outline, in the label colour


def test_prompt_markers_keep_their_screen_size(canvas):
    prompts = [
        (PromptRecord(1, 7, 0, "point", (10.0, 20.0), True, 0), QColor("red")),
        (PromptRecord(2, 7, 0, "point", (30.0, 20.0), False, 1), QColor("red")),
        (PromptRecord(3, 7, 0, "box", (5.0, 5.0, 50.0, 40.0), True, 2), QColor("red")),
    ]
    canvas.set_prompts(prompts)
    sizes = []
    for zoom in (1.0, 10.0):
        canvas.set_zoom(zoom)
        item = canvas.prompt_items[0]
        rect = item.deviceTransform(canvas.viewportTransform()).mapRect(item.boundingRect())
        sizes.append(rect.width())
    assert sizes[0] == pytest.approx(sizes[1])
    assert [i.positive for i in canvas.prompt_items[:2]] == [True, False]
    assert canvas.prompt_items[2].rect().getCoords() == (5.0, 5.0, 50.0, 40.0)


def test_drag_shorter_than_the_threshold_is_a_click(canvas):
    points, boxes = [], []
    canvas.prompt_tool.pointRequested.connect(points.append)
    canvas.prompt_tool.boxRequested.connect(boxes.append)
    viewport = canvas.viewport()
    start = canvas.mapFromScene(QPointF(50, 50))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(viewport, start + QPoint(2, 1))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(2, 1))
    assert len(points) == 1 and boxes == []


def test_clicks_outside_the_image_do_nothing_and_boxes_are_clipped(canvas):
    points, boxes = [], []
    canvas.prompt_tool.pointRequested.connect(points.append)
    canvas.prompt_tool.boxRequested.connect(boxes.append)
    viewport = canvas.viewport()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(QPointF(-20, 50)))
    assert points == []
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(QPointF(100, 50)))
    QTest.mouseMove(viewport, canvas.mapFromScene(QPointF(180, 120)))
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(QPointF(180, 120))
    )
    (box,) = boxes
    assert box.x1 == pytest.approx(160) and box.y1 == pytest.approx(100)


def test_cursor_position_is_reported_in_image_pixels(canvas):
    seen = []
    canvas.cursorMoved.connect(lambda x, y: seen.append((x, y)))
    QTest.mouseMove(canvas.viewport(), canvas.mapFromScene(QPointF(33.5, 44.5)))
    x, y = seen[-1]
    assert int(x) == 33 and int(y) == 44


HIDPI_CHILD = r"""
import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
app = QApplication([])
from videoseg_desktop.ui.canvas.canvas_view import CanvasView
view = CanvasView(); view.resize(400, 300); view.show(); app.processEvents()
rgb = np.zeros((60, 80, 3), np.uint8); rgb[:, :, 1] = 80
view.set_image(rgb)
mask = np.zeros((60, 80), bool); mask[20:40, 30:50] = True
view.set_overlay(1, mask, QColor("#FF0000"))
dpr = view.devicePixelRatioF()
view.actual_size()
one_to_one = view.transform().m11()
view.set_zoom(10.0); view.centerOn(QPointF(30, 30)); app.processEvents()
image = view.viewport().grab().toImage()
def colour(x, y):
    p = view.mapFromScene(QPointF(x, y))
    c = image.pixelColor(int(p.x() * dpr), int(p.y() * dpr))
    return c.red(), c.green()
step = 2.5 / 10
import json
print(json.dumps([dpr, one_to_one, image.width(), colour(30 + step, 30), colour(30 - step, 30)]))
"""


def test_overlays_stay_on_their_pixels_on_a_hidpi_screen(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2"}
    out = subprocess.run([sys.executable, "-c", HIDPI_CHILD], capture_output=True, text=True,
                         env=env, timeout=120)  # fmt: skip
    import json

    dpr, one_to_one, width, inside, outside = json.loads(out.stdout.strip().splitlines()[-1])
    assert dpr == 2.0, out.stderr
    assert one_to_one == pytest.approx(0.5)  # 1:1 = one image pixel per device pixel
    assert width == 800  # the grab has physical resolution
    assert inside[0] > 60 and outside == [0, 80]  # the edge sits at x=30 in device pixels
