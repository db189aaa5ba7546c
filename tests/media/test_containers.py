"""Containers and codecs besides h264/mp4: every one read frame-exactly and probed."""

from __future__ import annotations

import random

import av
import numpy as np
import pytest

from tests.helpers.video import numbered_frames, read_frame_number, write_video
from tests.media.conftest import decode_all
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.probe import probe_media
from videoseg_desktop.media.video_reader import VideoReader

CASES = [
    ("mov", "libx264", "h264"),
    ("mkv", "libx264", "h264"),
    ("webm", "libvpx-vp9", "vp9"),
    ("avi", "mpeg4", "mpeg4"),
    ("mp4", "libx265", "hevc"),
]


def _encodable(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except Exception:
        return False
    return True


@pytest.mark.parametrize(("suffix", "encoder", "codec"), CASES)
def test_container_random_access_is_exact(tmp_path, suffix, encoder, codec):
    if not _encodable(encoder):
        pytest.skip(f"{encoder} encoder not in this PyAV build")
    n = 40
    extra = {"x265-params": "log-level=error"} if encoder == "libx265" else None
    path = write_video(
        numbered_frames(n),
        tmp_path / f"clip.{suffix}",
        fps=25,
        codec=encoder,
        gop=15,
        options=extra,
    )
    info = probe_media(path)
    assert (info.kind, info.codec, info.frame_count) == (MediaKind.VIDEO, codec, n)
    assert (info.width, info.height) == (256, 192)
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(n / 25.0, abs=0.05)
    assert info.pix_fmt == "yuv420p"
    reference = decode_all(path)
    assert [read_frame_number(f) for f in reference] == list(range(n))
    order = list(range(n))
    random.Random(1).shuffle(order)
    with VideoReader(path, cache_size=2) as reader:
        for i in order:
            assert np.array_equal(reader.read(i), reference[i]), f"{suffix}: frame {i} differs"
