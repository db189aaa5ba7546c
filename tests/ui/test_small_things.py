"""Issue #12 item 8 in the window: error boxes keep URLs whole and copyable, the export dialog
names its own check box, images hide the timeline, tracking does not widen the window, and the
stale rule of the track overview."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from videoseg_desktop.ui.dialogs import export_dialog
from videoseg_desktop.ui.dialogs.message_boxes import message_box, message_html
from videoseg_desktop.ui.video.track_overview import PROPAGATED, stale_frames

OFFLINE = (
    "This computer seems to be offline, so the model cannot be downloaded.\n\n"
    "could not download sam2.1_hiera_tiny.pt (urlopen error). Without network access, download "
    "https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_tiny.pt on another "
    "machine and put it at /home/me/.local/share/videoseg/models/sam2.1_hiera_tiny.pt"
)
URL = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_tiny.pt"


def test_the_offline_message_keeps_its_url_whole_selectable_and_copyable(qtbot):
    box = message_box(None, "Download failed", OFFLINE)
    qtbot.addWidget(box)
    assert f'style="white-space:nowrap">{URL}</a>' in message_html(OFFLINE)
    assert box.textFormat() == Qt.TextFormat.RichText
    assert box.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    (copy,) = [b for b in box.buttons() if b.text() == "Copy Link"]
    QGuiApplication.clipboard().clear()
    copy.click()
    assert QGuiApplication.clipboard().text() == URL
    plain = message_box(None, "x", "nothing to link <here> & there")
    qtbot.addWidget(plain)
    assert [b.text() for b in plain.buttons()] == ["OK"]
    assert "&lt;here&gt; &amp; there" in plain.text()  # shown as written, not as markup


def test_the_export_dialog_names_its_check_box_not_the_cli_flag(video_driver, monkeypatch):
    d = video_driver
    shown = []
    monkeypatch.setattr(QDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(QMessageBox, "information", lambda p, t, text: shown.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda p, t, text: shown.append(text))
    export_dialog.export_interactively(d.project, [], d.window)  # COCO, a video-only project
    assert shown and "--frames-as-images" not in shown[0]
    assert 'tick "Include annotated video frames as images"' in shown[0]
    assert export_dialog.window_wording("add --frames-as-images to include them") == (
        'tick "Include annotated video frames as images" in the Export dialog to include them'
    )


def test_images_hide_the_timeline_and_videos_show_it(video_driver, image_files):
    d = video_driver
    timeline = d.window.video.dock
    assert timeline.isVisible()
    d.project.import_media(image_files[:1])
    image_id = max(d.session.media_ids())
    d.session.set_media(image_id)
    assert not timeline.isVisible()  # no "Frame 0 / 0" for an image
    d.session.set_media(min(d.session.media_ids()))
    assert timeline.isVisible()
    d.session.set_media(image_id)
    root = d.project.root
    d.window.close_project()
    assert d.window.open_project(root)  # reopened on the image: still hidden
    assert d.session.media_id == image_id and not timeline.isVisible()


def test_the_window_does_not_widen_when_tracking_starts(video_driver):
    d = video_driver
    dock = d.window.video.dock
    QApplication.processEvents()
    before = (dock.minimumSizeHint().width(), d.window.minimumSizeHint().width())
    width = d.window.width()
    dock.show_tracking(True)
    dock.show_progress(3, 12, 123.4, 98765.0)
    QApplication.processEvents()
    assert (dock.minimumSizeHint().width(), d.window.minimumSizeHint().width()) == before
    assert d.window.width() == width
    dock.show_tracking(False)
    QApplication.processEvents()
    assert (dock.minimumSizeHint().width(), d.window.minimumSizeHint().width()) == before


def test_stale_frames_are_those_tracked_before_a_later_correction():
    K, P = 3, PROPAGATED  # a clicked key frame, a propagated one
    frames = np.arange(8)
    codes = np.array([K, P, P, K, P, P, P, P])
    # Tracked forward from 0 at t1; frame 3 corrected at t3; re-track from 3 reached 5 (t4),
    # then was cancelled: 6 and 7 still hold the masks from t1.
    times = ["t0", "t1", "t1", "t3", "t4", "t4", "t1", "t1"]
    assert stale_frames(frames, codes, times).tolist() == [0, 0, 0, 0, 0, 0, 1, 1]
    # Nothing corrected later: nothing stale; a backward track from a newer key is explained.
    assert not stale_frames(frames, codes, ["t0", *["t1"] * 7]).any()
    assert not stale_frames(np.arange(3), np.array([P, P, K]), ["t2", "t2", "t1"]).any()
    assert stale_frames(np.arange(3), np.array([P, P, K]), ["t1", "t1", "t2"]).tolist() == [
        True, True, False,
    ]  # fmt: skip


def test_the_timeline_legend_shows_whole_on_one_line_and_sets_no_minimum_width(video_driver):
    d = video_driver
    d.window.resize(1400, 915)
    QApplication.processEvents()
    legend = d.window.video.dock.legend
    assert legend.isVisible()
    assert legend.width() >= legend.sizeHint().width()  # not clipped at the window's usual size
    assert legend.height() <= 2 * legend.fontMetrics().height()  # one line
    dock, text = d.window.video.dock, legend.text()
    before = (dock.minimumSizeHint().width(), d.window.minimumSizeHint().width())
    legend.setText(text * 4)  # a legend four times as long would not widen the window either
    QApplication.processEvents()
    assert (dock.minimumSizeHint().width(), d.window.minimumSizeHint().width()) == before
    legend.setText(text)
