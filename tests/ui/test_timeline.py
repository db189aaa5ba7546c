"""The timeline dock on the real window: frame keys, timecode, playback, loop, scrubbing,
the track overview following the store, and the onion skin. No model runs here."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.ui.video_window import VIDEO_FRAMES
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.ui.video.track_overview import CLICKED, EDITED, NO_MASK, PROPAGATED

LAST = VIDEO_FRAMES - 1


def _overview_point(overview, frame: int, row: int | None = None) -> QPoint:
    from videoseg_desktop.ui.video.track_overview import ROW_GAP, ROW_H, RULER_H

    y = RULER_H // 2 if row is None else RULER_H + ROW_GAP + row * (ROW_H + ROW_GAP) + ROW_H // 2
    return QPoint(int(overview.frame_x(frame)), y)


def test_frame_keys_step_jump_and_show_the_timecode(video_driver):
    d = video_driver
    dock = d.window.video.dock
    assert dock.isVisible() and dock.is_video()
    assert d.session.frame == 0 and dock.count_label.text() == f"/ {LAST}"
    d.key(Qt.Key.Key_Period)
    assert d.session.frame == 1 and dock.frame_box.value() == 1
    d.key(Qt.Key.Key_Comma)
    assert d.session.frame == 0
    d.key(Qt.Key.Key_Greater)  # Shift+.
    assert d.session.frame == 10
    # One sequence each: with "Shift+." beside ">", X11 matched a Shift+. press twice on the same
    # action, which Qt then treats as ambiguous and ignores.
    video = d.window.video.actions
    assert [k.toString() for k in video.forward_ten.shortcuts()] == [">"]
    assert [k.toString() for k in video.back_ten.shortcuts()] == ["<"]
    d.key(Qt.Key.Key_Period)
    d.key(Qt.Key.Key_Period)  # stops at the last frame
    assert d.session.frame == LAST
    assert dock.time_label.text() == "00:00:00.458"  # frame 11 at 24 fps
    d.key(Qt.Key.Key_Less)
    assert d.session.frame == LAST - 10
    d.key(Qt.Key.Key_Home)
    assert d.session.frame == 0 and dock.time_label.text() == "00:00:00.000"
    d.key(Qt.Key.Key_End)
    assert d.session.frame == LAST
    dock.frame_box.setValue(7)
    assert d.session.frame == 7
    assert dock.overview.current == 7
    # The canvas shows the frame: the stripe's grey level names it (moving_square_frames).
    assert abs(int(d.session.image()[2, 2, 0]) - (7 * 37) % 256) < 12


def test_play_runs_at_the_video_frame_rate_and_stops_at_the_end(video_driver, qtbot):
    d = video_driver
    playback = d.window.video.playback
    shown = []
    d.session.frameChanged.connect(shown.append)
    start = time.perf_counter()
    d.window.video.actions.play.trigger()
    assert playback.playing
    qtbot.waitUntil(lambda: not playback.playing, timeout=20000)
    elapsed = time.perf_counter() - start
    assert shown == list(range(1, VIDEO_FRAMES))  # every frame, in order
    assert elapsed >= (VIDEO_FRAMES - 2) / 24  # never faster than 24 fps
    assert d.session.frame == LAST
    assert not d.session.moving
    assert d.window.video.dock.rate_label.text().endswith("fps")
    # At the end, play starts over from the first frame.
    shown.clear()
    d.window.video.actions.play.trigger()
    qtbot.waitUntil(lambda: not playback.playing, timeout=20000)
    assert shown[:2] == [0, 1] and shown[-1] == LAST


def test_loop_plays_a_range_over_and_over(video_driver, qtbot):
    d = video_driver
    video = d.window.video
    video.go_to(3)
    d.key(Qt.Key.Key_I)
    video.go_to(6)
    d.key(Qt.Key.Key_O)
    assert video.playback.loop == (3, 6)
    assert video.dock.loop_label.text() == "3–6"
    d.key(Qt.Key.Key_L)
    assert video.actions.loop.isChecked()
    shown = []
    d.session.frameChanged.connect(shown.append)
    video.actions.play.trigger()
    qtbot.waitUntil(lambda: len(shown) >= 10, timeout=20000)
    video.playback.pause()
    assert set(shown) <= {3, 4, 5, 6}
    assert shown[:5] == [3, 4, 5, 6, 3]  # started over at the loop's start, wrapped around


def test_space_taps_play_and_pause_but_space_drag_pans(video_driver, qtbot):
    d = video_driver
    canvas, playback = d.canvas, d.window.video.playback
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Space)
    assert playback.playing
    QTest.keyClick(canvas, Qt.Key.Key_Space)
    assert not playback.playing
    before = canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()
    canvas.set_zoom(4.0)
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    QTest.mouseMove(viewport, QPoint(150, 170))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(150, 170))
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert not playback.playing  # held for a drag: panned, did not play
    after = canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()
    assert after != before
    assert d.project.objects.list(d.session.media_id) == []  # the drag drew no box


def test_clicking_and_dragging_on_the_overview_scrubs(video_driver, qtbot):
    d = video_driver
    overview = d.window.video.dock.overview
    QTest.mouseClick(overview, Qt.MouseButton.LeftButton, pos=_overview_point(overview, 8))
    assert d.session.frame == 8
    QTest.mousePress(overview, Qt.MouseButton.LeftButton, pos=_overview_point(overview, 2))
    for frame in (3, 5, 7, 9):
        QTest.mouseMove(overview, _overview_point(overview, frame))
    assert d.session.moving  # the precompute of every passing frame is skipped
    QTest.mouseRelease(overview, Qt.MouseButton.LeftButton, pos=_overview_point(overview, 9))
    qtbot.waitUntil(lambda: d.session.frame == 9, timeout=10000)
    assert not d.session.moving
    qtbot.waitUntil(lambda: abs(int(d.session.image()[2, 2, 0]) - (9 * 37) % 256) < 12)


def _mask(frame: int) -> dict:
    mask = np.zeros((240, 320), bool)
    mask[60:110, 10 + frame * 7 : 60 + frame * 7] = True
    return encode_rle(mask)


def test_overview_rows_follow_the_store_without_decoding(video_driver, qtbot, monkeypatch):
    d = video_driver
    project, media_id = d.project, d.session.media_id
    overview = d.window.video.dock.overview
    assert overview.rows == []
    obj = project.objects.add(media_id, project.labels.get("car").id)
    project.prompts.add(obj.id, 0, "point", (35, 85), True)
    writes = [(obj.id, 0, _mask(0), MaskSource.CLICKED, "m")]
    writes += [(obj.id, f, _mask(f), MaskSource.PROPAGATED, "m") for f in range(1, 6)]
    writes.append((obj.id, 8, _mask(8), MaskSource.EDITED, None))

    import pycocotools.mask

    def no_decoding(*args):
        raise AssertionError("the overview must not decode masks")

    d.window.video.go_to(10)  # no mask here: the canvas decodes nothing either
    monkeypatch.setattr(pycocotools.mask, "decode", no_decoding)
    project.masks.put_many(writes)
    qtbot.waitUntil(lambda: len(overview.rows) == 1, timeout=3000)
    (row,) = overview.rows
    assert row.codes.tolist() == [CLICKED, *[PROPAGATED] * 5, NO_MASK, NO_MASK, EDITED] + [
        NO_MASK
    ] * (VIDEO_FRAMES - 9)
    assert row.prompted[0] and not row.prompted[1:].any()
    assert row.in_gap(6) and not row.in_gap(10)
    assert "gap" in row.state_at(7) and row.state_at(0) == "clicked, prompts"
    project.masks.delete_range(obj.id, 1, 3)
    qtbot.waitUntil(lambda: overview.rows[0].codes[1] == NO_MASK, timeout=3000)
    overview.grab()  # paints


def test_onion_skin_outlines_the_previous_frame_mask(video_driver):
    d = video_driver
    project = d.project
    obj = project.objects.add(d.session.media_id, project.labels.get("car").id)
    project.masks.put(obj.id, 3, _mask(3), MaskSource.PROPAGATED, "m")
    onion = d.window.video.onion
    d.window.video.go_to(4)
    assert onion.items == {}
    d.key(Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert d.window.video.actions.onion_skin.isChecked()
    rect = onion.items[obj.id].path().boundingRect()
    assert (rect.left(), rect.top(), rect.right(), rect.bottom()) == (31, 60, 81, 110)
    d.window.video.go_to(5)  # frame 4 has no mask: no outline
    assert onion.items == {}
    d.session.set_hidden(obj.id, True)
    d.window.video.go_to(4)
    assert onion.items == {}  # hidden objects have no onion skin either


def test_bin_row_on_a_10000_frame_video_marks_keys_gaps_and_coverage():
    from PySide6.QtGui import QColor

    from videoseg_desktop.ui.video.track_overview import TrackRow, bin_row

    n, width = 10_000, 500  # 20 frames per pixel column
    codes = np.zeros(n, np.int8)
    codes[1000:6000] = PROPAGATED
    codes[3000:3040] = NO_MASK  # a gap of two columns
    codes[6000:6010] = PROPAGATED  # half a column covered
    codes[1000] = CLICKED
    codes[4000] = EDITED
    prompted = np.zeros(n, bool)
    prompted[[1000, 5000]] = True
    row = TrackRow(1, "car 1", QColor("#E69F00"), codes, prompted)
    start = time.perf_counter()
    band, keys = bin_row(row, width)
    assert time.perf_counter() - start < 0.05
    alpha = band >> 24
    assert alpha[:50].max() == 0 and alpha[301:].max() == 0  # before and after the track
    assert (alpha[50:150] == 255).all() and (alpha[152:300] == 255).all()
    assert 90 < alpha[300] < 255  # partly covered: fainter
    gap_red = (band[150:152] >> 16) & 0xFF
    assert (gap_red == 224).all()  # the gap shows red
    key_columns = np.flatnonzero(keys)
    assert key_columns.tolist() == [50, 200, 250]
    assert keys[50] == keys[250] == 0xFFFFFFFF and (keys[200] >> 8) & 0xFFFF == 0xFFD6


def test_overview_of_a_10000_frame_video_paints_quickly(qtbot):
    from PySide6.QtGui import QColor

    from videoseg_desktop.ui.video.track_overview import TrackOverview, TrackRow

    overview = TrackOverview()
    qtbot.addWidget(overview)
    overview.resize(1400, 200)
    n = 10_000
    rng = np.random.default_rng(0)
    rows = [
        TrackRow(i, f"object {i}", QColor("#56B4E9"), rng.integers(0, 5, n).astype(np.int8),
                 rng.random(n) < 0.001)
        for i in range(6)
    ]  # fmt: skip
    overview.set_frame_count(n)
    overview.set_rows(rows)
    start = time.perf_counter()
    overview.grab()
    first = time.perf_counter() - start
    overview.set_current(5000)
    start = time.perf_counter()
    overview.grab()
    again = time.perf_counter() - start
    assert first < 0.5 and again < 0.2, (first, again)
    assert overview.frame_at(overview.frame_x(7777)) == 7777


def test_scrubbing_shows_the_proxy_at_once_then_the_exact_frame(video_driver, qtbot, monkeypatch):
    from videoseg_desktop.ui.project import scrub_builds

    d = video_driver
    playback = d.window.video.playback
    monkeypatch.setattr(scrub_builds, "MIN_FRAMES", 2)  # the test video is short
    playback.preview.set_media(d.session.scrub_builds, d.session.media)  # as when opened
    qtbot.waitUntil(lambda: playback.preview.proxy is not None, timeout=20000)
    assert list((d.project.cache_dir / "scrub").glob("*/frames.jpg-pack"))
    try:
        playback.scrub_to(7)  # shown before the decoder thread could answer
        assert d.session.frame == 7 and d.session.moving and d.session._preview
        assert abs(int(d.session.image()[2, 2, 0]) - (7 * 37) % 256) < 12
        assert d.session.image().shape == (240, 320, 3)  # scaled to the video: masks overlay
        playback._on_decoded(3, np.zeros((240, 320, 3), np.uint8))  # a stale position
        assert d.session.frame == 7
        playback.end_scrub(7)
        qtbot.waitUntil(lambda: not d.session._preview, timeout=10000)
        assert abs(int(d.session.image()[2, 2, 0]) - (7 * 37) % 256) < 12
    finally:
        playback.preview.close()
