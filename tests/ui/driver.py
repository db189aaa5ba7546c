"""Drives the real main window like a user: mouse on the canvas, keys, waiting for masks."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

MASK_TIMEOUT_MS = 120_000  # the first click loads the model on a shared, busy CPU


class WindowDriver:
    def __init__(self, qtbot, window):
        self.qtbot, self.window = qtbot, window

    @property
    def session(self):
        return self.window.session

    @property
    def project(self):
        return self.window.session.project

    @property
    def canvas(self):
        return self.window.canvas

    def activate(self) -> None:
        self.window.activateWindow()
        self.window.raise_()
        self.qtbot.waitUntil(self.window.isActiveWindow, timeout=5000)
        self.canvas.setFocus()

    def view_point(self, x: float, y: float) -> QPoint:
        """Viewport pixel showing image pixel (x, y)."""
        return self.canvas.mapFromScene(QPointF(x, y))

    def image_point(self, view: QPoint) -> tuple[float, float]:
        scene = self.canvas.viewportTransform().inverted()[0].map(QPointF(view))
        return scene.x(), scene.y()

    def click(self, x: float, y: float, modifiers=Qt.KeyboardModifier.NoModifier, button=None):
        button = button or Qt.MouseButton.LeftButton
        QTest.mouseClick(self.canvas.viewport(), button, modifiers, self.view_point(x, y))

    def right_click(self, x: float, y: float) -> None:
        self.click(x, y, button=Qt.MouseButton.RightButton)

    def drag(self, x0: float, y0: float, x1: float, y1: float, button=None, modifiers=None) -> None:
        button = button or Qt.MouseButton.LeftButton
        modifiers = modifiers or Qt.KeyboardModifier.NoModifier
        viewport = self.canvas.viewport()
        start, end = self.view_point(x0, y0), self.view_point(x1, y1)
        QTest.mousePress(viewport, button, modifiers, start)
        steps = 6
        for i in range(1, steps + 1):
            p = start + (end - start) * (i / steps)
            QTest.mouseMove(viewport, p)
        QTest.mouseRelease(viewport, button, modifiers, end)

    def key(self, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        target = self.window.focusWidget() or self.window
        QTest.keyClick(target, key, modifiers)

    def wait_masks(self, timeout: int = MASK_TIMEOUT_MS) -> None:
        """Until every mask request of the controller has been answered and stored."""
        self.qtbot.waitUntil(lambda: self.window.controller.pending() == 0, timeout=timeout)
        self.activate()  # the model-loading dialog may have taken the focus

    def objects(self):
        return self.project.objects.list(self.session.media_id)

    def prompts(self, object_id: int | None = None):
        object_id = self.session.object_id if object_id is None else object_id
        return self.project.prompts.list(object_id, self.session.frame)

    def mask(self, object_id: int | None = None):
        object_id = self.session.object_id if object_id is None else object_id
        return self.project.masks.get(object_id, self.session.frame)
