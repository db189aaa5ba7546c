import numpy as np
import pytest
from PIL import Image

from tests.export.conftest import VIDEO_FRAMES, blob_mask, track_mask
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.export import export_davis
from videoseg_desktop.export.davis import davis_palette


def test_palette_is_the_davis_colour_map():
    pal = davis_palette()
    assert len(pal) == 768
    assert pal[:12] == [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0]


def test_davis_layout_indexed_pngs_and_exact_masks(video_project):
    summary = export_davis(video_project)
    root = summary.path
    pngs = sorted((root / "Annotations/480p/clip").glob("*.png"))
    jpgs = sorted((root / "JPEGImages/480p/clip").glob("*.jpg"))
    assert [p.name for p in pngs] == [f"{i:05d}.png" for i in range(VIDEO_FRAMES)]
    assert [p.stem for p in jpgs] == [p.stem for p in pngs]
    for frame, png in enumerate(pngs):
        with Image.open(png) as img:
            assert img.mode == "P" and img.size == (320, 240)
            assert img.getpalette()[:6] == [0, 0, 0, 128, 0, 0]
            ids = np.asarray(img)
        car = track_mask(frame) if frame < 8 else np.zeros((240, 320), bool)
        person = (
            blob_mask(250, 150, 20, 240, 320) if 3 <= frame <= 5 else np.zeros((240, 320), bool)
        )
        assert np.array_equal(ids == 1, car)  # the hole and both parts survive
        assert np.array_equal(ids == 2, person)
        assert set(np.unique(ids)) <= {0, 1, 2}
    assert summary.videos == 1 and summary.objects == 2 and summary.masks == 11
    assert summary.files == 2 * VIDEO_FRAMES and summary.warnings == []


def test_overlap_is_reported(video_project):
    video_project.masks.put(video_project.person.id, 0, encode_rle(track_mask(0)), "edited")
    summary = export_davis(video_project)
    assert any("more than one object" in w for w in summary.warnings)
    with Image.open(summary.path / "Annotations/480p/clip/00000.png") as img:
        assert np.array_equal(np.asarray(img) == 2, track_mask(0))  # the later object wins


def test_unknown_media_id_writes_nothing(video_project):
    before = list(video_project.exports_dir.iterdir())
    with pytest.raises(ExportError):
        export_davis(video_project, media_ids=[42])
    assert list(video_project.exports_dir.iterdir()) == before
