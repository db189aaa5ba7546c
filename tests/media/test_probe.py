"""probe_media describes good files exactly and refuses bad ones with one clear sentence."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import numbered_frames, write_video
from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.probe import MediaInfo, probe_media, probe_media_with_index


def test_probe_video(bframe_mp4):
    info, index = probe_media_with_index(bframe_mp4)
    assert info == MediaInfo(
        kind=MediaKind.VIDEO,
        width=256,
        height=192,
        frame_count=300,
        fps=pytest.approx(30.0),
        duration=pytest.approx(10.0),
        rotation=0,
        pix_fmt="yuv420p",
        codec="h264",
    )
    assert index is not None and len(index) == 300


def test_probe_image(tmp_path):
    path = tmp_path / "still.png"
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(path)
    info, index = probe_media_with_index(path)
    assert index is None
    assert (info.kind, info.width, info.height, info.frame_count) == (MediaKind.IMAGE, 40, 30, 1)
    assert (info.fps, info.duration, info.codec, info.pix_fmt) == (None, None, "png", "RGB")


def test_davis_clip_probe(davis_mp4):
    info = probe_media(davis_mp4)
    assert (info.width, info.height, info.frame_count) == (854, 480, 40)
    assert info.fps == pytest.approx(24.0)


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(MediaError) as err:
        probe_media(path)
    message = str(err.value)
    assert path.name in message, message
    for word in words:
        assert word in message.lower(), message
    assert "\n" not in message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.touch()
    _refused(path, "empty")


def test_missing_file(tmp_path):
    _refused(tmp_path / "gone.mp4", "not found")


def test_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are notes, not a picture\n" * 20)
    _refused(path, "not a supported image or video")


def test_text_named_as_video(tmp_path):
    path = tmp_path / "holiday.mp4"
    path.write_text("these are notes, not a video\n" * 20)
    _refused(path, "not a valid mp4")


def test_png_named_mp4_is_refused_with_the_real_type(tmp_path):
    path = tmp_path / "frame.mp4"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, format="PNG")
    _refused(path, "png image", ".png")


def test_video_named_as_image_is_refused(tmp_path, bframe_mp4):
    path = tmp_path / "clip.jpg"
    path.write_bytes(bframe_mp4.read_bytes())
    _refused(path, "is a video")


def test_jpeg_named_png_is_accepted_by_content(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(path, format="JPEG")
    info = probe_media(path)
    assert (info.codec, info.width) == ("jpeg", 10)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".avi"])
def test_truncated_video(tmp_path, suffix):
    codec = "mpeg4" if suffix == ".avi" else "libx264"
    full = write_video(numbered_frames(60), tmp_path / f"full{suffix}", codec=codec, gop=12)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.6)])
    _refused(cut, "truncated")


def test_video_without_frames(tmp_path):
    # Only the container header survives: no packets at all.
    full = write_video(numbered_frames(10), tmp_path / "full.mkv", gop=5)
    data = full.read_bytes()
    cluster = data.find(b"\x1f\x43\xb6\x75")  # first Matroska Cluster element
    cut = tmp_path / "headeronly.mkv"
    cut.write_bytes(data[:cluster])
    _refused(cut, "truncated or corrupt")


def test_unsupported_codec(tmp_path, bframe_mp4):
    # An unknown sample-entry fourcc: FFmpeg finds a video stream but has no decoder for it.
    path = tmp_path / "strange.mp4"
    path.write_bytes(bframe_mp4.read_bytes().replace(b"avc1", b"zzz9"))
    _refused(path, "codec")


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(100_000, 100_000), (30_000, 10_000), (60_000, 10)])
def test_decompression_bomb_is_refused_without_decoding(tmp_path, size):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(*size))
    assert path.stat().st_size < 200
    _refused(path, "too large", "bomb")


def test_truncated_image(tmp_path):
    path = tmp_path / "half.jpg"
    full = tmp_path / "full.jpg"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(full)
    path.write_bytes(full.read_bytes()[:3000])
    _refused(path, "truncated")


def test_the_documented_limit_is_the_one_that_holds(tmp_path):
    """250 megapixels (README): Pillow's own, lower limit (179 MP) must not refuse first."""
    under = tmp_path / "under.png"
    under.write_bytes(_png_header_only(20_000, 10_000))  # 200 MP: allowed, then truncated
    message = _refused(under)
    assert "too large" not in message and "bomb" not in message
    over = tmp_path / "over.png"
    over.write_bytes(_png_header_only(16_000, 16_000))  # 256 MP
    assert "250 megapixels" in _refused(over, "too large")
