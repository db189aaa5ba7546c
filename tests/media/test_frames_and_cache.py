"""open_frames for videos: the frame index cache is used, written and rebuilt when broken."""

from __future__ import annotations

import numpy as np

from tests.helpers.video import read_frame_number
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media import frames as frames_module
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index
from videoseg_desktop.media.frames import FrameSource, open_frames
from videoseg_desktop.media.hashing import sha256_file
from videoseg_desktop.media.thumbnails import make_thumbnail


def test_video_source_builds_then_reuses_the_index(tmp_path, bframe_mp4, monkeypatch):
    index_path = tmp_path / "cache" / "7.index.npz"
    with open_frames(bframe_mp4, MediaKind.VIDEO, index_path) as source:
        assert isinstance(source, FrameSource)
        assert (len(source), source.width, source.height) == (300, 256, 192)
        assert read_frame_number(source.read(123)) == 123
    assert index_path.is_file()

    def must_not_build(path):
        raise AssertionError("the cached index should have been used")

    monkeypatch.setattr(frames_module, "build_frame_index", must_not_build)
    with open_frames(bframe_mp4, MediaKind.VIDEO, index_path) as source:
        assert read_frame_number(source.read(260)) == 260


def test_corrupt_index_cache_is_rebuilt(tmp_path, bframe_mp4):
    index_path = tmp_path / "index.npz"
    index_path.write_bytes(b"garbage")
    with open_frames(bframe_mp4, MediaKind.VIDEO, index_path) as source:
        assert read_frame_number(source.read(5)) == 5
    rebuilt = FrameIndex.load(index_path)
    assert np.array_equal(rebuilt.pts, build_frame_index(bframe_mp4).pts)


def test_thumbnails(tmp_path, bframe_mp4):
    from PIL import Image

    out = make_thumbnail(bframe_mp4, MediaKind.VIDEO, tmp_path / "thumbs" / "1.jpg", size=64)
    with Image.open(out) as img:
        assert img.format == "JPEG" and img.size == (64, 48)
    still = tmp_path / "tall.png"
    Image.fromarray(np.full((300, 100, 3), 90, np.uint8)).save(still)
    out = make_thumbnail(still, MediaKind.IMAGE, tmp_path / "thumbs" / "2.png")
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (53, 160)
        assert np.asarray(img)[10, 10].tolist() == [90, 90, 90]
    assert sorted(p.name for p in (tmp_path / "thumbs").iterdir()) == ["1.jpg", "2.png"]


def test_sha256_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc" * 1_000_000)
    import hashlib

    assert sha256_file(path) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
