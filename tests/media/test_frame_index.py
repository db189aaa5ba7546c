"""The frame index: one entry per frame in display order, keyframes marked, cached as .npz."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tests.helpers.video import numbered_frames, read_frame_number, write_video
from tests.media.conftest import N_FRAMES
from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index
from videoseg_desktop.media.video_reader import VideoReader


def test_index_of_bframe_video(bframe_mp4):
    index = build_frame_index(bframe_mp4)
    assert len(index) == N_FRAMES
    assert index.pts.dtype == np.int64 and index.keyframe.dtype == bool
    assert np.all(np.diff(index.pts) > 0), "pts must be in presentation order"
    assert list(np.flatnonzero(index.keyframe)) == [0, 250]
    assert index.keyframe_at_or_before(249) == 0
    assert index.keyframe_at_or_before(250) == 250
    assert index.keyframe_at_or_before(299) == 250
    assert index.rotation == 0 and not index.decode_order
    assert index.seconds(30) == pytest.approx(1.0)


def test_save_and_load_round_trip(tmp_path, bframe_mp4):
    index = build_frame_index(bframe_mp4)
    path = index.save(tmp_path / "cache" / "index.npz")
    assert path.stat().st_size < 4096  # 300 frames: a few hundred bytes compressed
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind
    loaded = FrameIndex.load(path)
    assert np.array_equal(loaded.pts, index.pts)
    assert np.array_equal(loaded.keyframe, index.keyframe)
    assert loaded.time_base == index.time_base
    assert (loaded.rotation, loaded.decode_order) == (index.rotation, index.decode_order)


def test_loading_a_corrupt_index_raises_media_error(tmp_path):
    bad = tmp_path / "index.npz"
    bad.write_bytes(b"not an npz at all")
    with pytest.raises(MediaError, match="index.npz"):
        FrameIndex.load(bad)
    with pytest.raises(MediaError):
        FrameIndex.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_variable_frame_rate_is_indexed_by_frame_number(tmp_path, suffix):
    # Irregular gaps (40, 40, 120, 10, ... ms): frame numbers must follow the frames, not time.
    pts_ms = [0, 40, 80, 200, 210, 220, 500, 540, 1000, 1001, 1100, 1400, 1410, 1420, 2000]
    frames = numbered_frames(len(pts_ms))
    path = write_video(frames, tmp_path / f"vfr{suffix}", pts_ms=pts_ms, gop=6, bframes=2)
    index = build_frame_index(path)
    assert len(index) == len(pts_ms)
    times_ms = [round(index.seconds(i) * 1000) for i in range(len(index))]
    assert times_ms == pts_ms
    with VideoReader(path, index) as reader:
        for i in [14, 3, 9, 0, 8, 4, 13]:
            assert read_frame_number(reader.read(i)) == i


def test_avi_with_bframes_uses_decode_order(tmp_path):
    # AVI stores no presentation times; B-frames make its fake pts disagree with the output order.
    frames = numbered_frames(60)
    path = write_video(frames, tmp_path / "bframes.avi", gop=20, bframes=2)
    index = build_frame_index(path)
    assert index.decode_order and len(index) == 60
    with VideoReader(path, index, cache_size=2) as reader:
        for i in [59, 0, 25, 19, 20, 41, 7]:
            assert read_frame_number(reader.read(i)) == i
        assert [read_frame_number(f) for f in reader.iter_frames(0, 60)] == list(range(60))


def test_frame_index_validates_its_arrays():
    with pytest.raises(ValueError):
        FrameIndex(np.arange(3), np.zeros(2, bool), Fraction(1, 30), 0)
    index = FrameIndex(np.arange(3), np.zeros(3, bool), Fraction(1, 30), 0)
    assert index.keyframe[0], "decoding can always start at the first frame"
    assert index.frame_of_pts(2) == 2 and index.frame_of_pts(7) is None


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_clip_cut_mid_gop_starts_at_its_first_keyframe(tmp_path, suffix):
    # An editor's cut can begin with pictures whose keyframe was cut away: not decodable,
    # so they are not frames (the decoder drops them; numbering must agree with it).
    import av

    source = write_video(numbered_frames(40), tmp_path / f"src{suffix}", gop=12, bframes=2)
    cut = tmp_path / f"cut{suffix}"
    with av.open(str(source)) as src, av.open(str(cut), "w") as dst:
        stream_in = src.streams.video[0]
        stream_out = dst.add_stream_from_template(stream_in)
        for n, packet in enumerate(src.demux(stream_in)):
            if n >= 5 and packet.size:
                packet.stream = stream_out
                dst.mux(packet)
    index = build_frame_index(cut)
    assert len(index) == 28
    with VideoReader(cut, index) as reader:
        assert [read_frame_number(reader.read(i)) for i in (0, 27, 5)] == [12, 39, 17]
