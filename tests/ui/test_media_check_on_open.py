"""Opening a project checks its media files on a thread; a missing one is reported after."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.helpers.windows import shown_window
from videoseg_desktop.store import Project


def test_a_missing_media_file_is_reported_after_the_window_opens(qtbot, client, tmp_path):
    for value, name in enumerate(("a.png", "b.png")):
        Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(tmp_path / name)
    with Project.create(tmp_path / "p") as p:
        p.import_media([tmp_path / "a.png", tmp_path / "b.png"])
        p.media_path(p.media.get(2)).unlink()
    window = shown_window(qtbot, client)
    assert window.open_project(tmp_path / "p")
    qtbot.waitUntil(lambda: "went missing" in window.last_error, timeout=10000)
    assert "1 media file changed or went missing" in window.last_error
    assert "b.png (missing)" in window.last_error
    window.close()
