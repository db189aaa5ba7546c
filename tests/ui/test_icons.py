"""Issue #12 item 9: one icon set (Material Design Icons via qtawesome) on the tool bar, the
transport and tracking buttons and the panels; tool tips name the action and its shortcut; the
icons read on dark and light palettes."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QToolButton

from videoseg_desktop.ui.theme.icons import ICONS, icon


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.red())
        + 0.7152 * channel(color.green())
        + 0.0722 * channel(color.blue())
    )


def _ink(key: str) -> QColor:
    """The colour of an icon's most opaque pixel."""
    image = icon(key).pixmap(32, 32).toImage()
    best = max(
        (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())),
        key=lambda c: c.alpha(),
    )
    assert best.alpha() > 200, key
    return best


def test_every_icon_of_the_set_exists(qapp):
    assert all(not icon(key).isNull() for key in ICONS)


@pytest.mark.parametrize("background, text", [("#1E1E1E", "#F0F0F0"), ("#F5F5F5", "#202020")])
def test_icons_read_on_dark_and_light_palettes(qapp, background, text):
    old = QApplication.palette()
    palette = QPalette(old)
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Button):
        palette.setColor(role, QColor(background))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(role, QColor(text))
    QApplication.setPalette(palette)
    try:
        for key in ("brush", "play", "track_forward", "rename"):
            ink, back = _luminance(_ink(key)), _luminance(QColor(background))
            ratio = (max(ink, back) + 0.05) / (min(ink, back) + 0.05)
            assert ratio > 4.5, (key, background, ratio)  # WCAG AA contrast
    finally:
        QApplication.setPalette(old)


def test_tool_bar_transport_tracking_and_panels_have_icons_and_shortcut_tips(video_driver):
    w = video_driver.window
    tools = w.editing.tool_actions
    for name in ("prompt", "brush", "eraser", "polygon"):
        assert not tools[name].icon().isNull(), name
    assert "(B)" in tools["brush"].toolTip() and "(E)" in tools["eraser"].toolTip()
    v = w.video.actions
    for action in (v.play, v.previous_frame, v.next_frame, v.first_frame, v.last_frame,
                   v.track_forward, v.track_backward, v.track_both, v.cancel_tracking):  # fmt: skip
        assert not action.icon().isNull(), action.text()
    assert v.track_backward.toolTip() == "Track Backward (Shift+T)"
    assert v.next_frame.toolTip() == "Next Frame (.)"
    assert "Space" in v.play.toolTip()
    for panel in (w.label_panel, w.object_panel):
        buttons = panel.findChildren(QToolButton)
        assert buttons and all(not b.icon().isNull() and b.toolTip() for b in buttons)
    assert w.actions.undo.toolTip() == "Undo (Ctrl+Z)"
