"""Still images: every supported format, EXIF orientation, unusual pixel modes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.frames import ImageFrames, open_frames
from videoseg_desktop.media.image_io import load_image, read_image_header
from videoseg_desktop.media.probe import probe_media


def _picture() -> np.ndarray:
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32] = (200, 30, 30)  # left half red
    img[:24, 32:] = (30, 200, 30)  # top right green
    img[24:, 32:] = (30, 30, 200)  # bottom right blue
    return img


LOSSLESS = {"png": ".png", "bmp": ".bmp", "tiff": ".tif", "webp": ".webp"}


@pytest.mark.parametrize("fmt", ["png", "jpeg", "bmp", "tiff", "webp"])
def test_image_formats(tmp_path, fmt):
    picture = _picture()
    path = tmp_path / f"img{LOSSLESS.get(fmt, '.jpg')}"
    options = {"lossless": True} if fmt == "webp" else {}
    Image.fromarray(picture).save(path, format=fmt.upper(), **options)
    info = probe_media(path)
    assert (info.kind, info.codec) == (MediaKind.IMAGE, fmt)
    assert (info.width, info.height, info.frame_count) == (64, 48, 1)
    rgb = load_image(path)
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3)
    tolerance = 12 if fmt == "jpeg" else 0
    assert np.abs(rgb.astype(int) - picture).mean() <= tolerance


@pytest.mark.parametrize(
    ("orientation", "turn"),
    [
        (1, lambda a: a),
        (3, lambda a: np.rot90(a, 2)),
        (6, lambda a: np.rot90(a, -1)),
        (8, lambda a: np.rot90(a, 1)),
        (2, lambda a: a[:, ::-1]),
    ],
)
def test_exif_orientation_is_applied(tmp_path, orientation, turn):
    picture = _picture()
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(picture).save(path, exif=exif, quality=98)
    expected = turn(picture)
    header = read_image_header(path)
    assert (header.height, header.width) == expected.shape[:2]
    info = probe_media(path)
    assert (info.height, info.width) == expected.shape[:2]
    assert info.rotation == {1: 0, 2: 0, 3: 180, 6: 90, 8: 270}[orientation]
    rgb = load_image(path)
    assert rgb.shape == expected.shape
    assert np.abs(rgb.astype(int) - expected).mean() < 8


def test_alpha_grey_palette_and_16bit_become_rgb(tmp_path):
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 0] = 100
    rgba[..., 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert load_image(tmp_path / "a.png")[0, 0].tolist() == [100, 0, 0]

    Image.fromarray(np.full((10, 12), 77, np.uint8), "L").save(tmp_path / "g.png")
    assert load_image(tmp_path / "g.png")[0, 0].tolist() == [77, 77, 77]

    Image.fromarray(_picture()).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == (48, 64, 3)

    deep = np.full((10, 12), 65535, np.uint16)
    deep[0, 0] = 0
    Image.fromarray(deep).save(tmp_path / "d.png")
    rgb = load_image(tmp_path / "d.png")
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[5, 5].tolist() == [255, 255, 255]


def test_image_frame_source(tmp_path):
    path = tmp_path / "still.png"
    Image.fromarray(_picture()).save(path)
    with open_frames(path, MediaKind.IMAGE) as source:
        assert isinstance(source, ImageFrames)
        assert (len(source), source.width, source.height) == (1, 64, 48)
        frame = source.read(0)
        assert np.array_equal(frame, _picture())
        frame[:] = 0  # the caller's copy; the source is unaffected
        assert np.array_equal(source.read(0), _picture())
        assert len(list(source.iter_frames())) == 1
        with pytest.raises(IndexError):
            source.read(1)
