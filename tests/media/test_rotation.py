"""Rotation metadata (the display matrix phones write) turns frames upright and swaps sizes."""

from __future__ import annotations

import av
import numpy as np
import pytest

from tests.helpers.video import numbered_frames, write_video
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.frames import open_frames
from videoseg_desktop.media.probe import probe_media


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_video_is_read_upright(tmp_path, rotation):
    frames = numbered_frames(12, w=256, h=192)
    path = write_video(frames, tmp_path / f"rot{rotation}.mp4", gop=12, rotation=rotation)
    with av.open(str(path)) as container:
        coded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    info = probe_media(path)
    assert info.rotation == rotation
    expected_size = (192, 256) if rotation in (90, 270) else (256, 192)
    assert (info.width, info.height) == expected_size
    with open_frames(path, MediaKind.VIDEO) as source:
        assert (source.width, source.height) == expected_size
        for i in (7, 0, 11):
            upright = source.read(i)
            assert upright.shape == (expected_size[1], expected_size[0], 3)
            # Clockwise turn of the stored picture; np.rot90 turns counter-clockwise.
            assert np.array_equal(upright, np.rot90(coded[i], k=-rotation // 90))


def test_clockwise_means_top_left_goes_to_top_right(tmp_path):
    frame = np.zeros((96, 128, 3), np.uint8)
    frame[:32, :32] = 255  # a white block in the stored top-left corner
    path = write_video([frame] * 2, tmp_path / "phone.mp4", rotation=90, gop=2)
    with open_frames(path, MediaKind.VIDEO) as source:
        upright = source.read(0)
    assert upright.shape == (128, 96, 3)
    assert upright[:32, -32:].mean() > 200  # top-right when turned 90 degrees clockwise
    assert upright[:32, :32].mean() < 50
