import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.store import Project


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(good)
    video = write_video(moving_square_frames(12), tmp_path / "clip.mp4", gop=6)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return good, video, bad


def _state(project):
    files = sorted(
        p.name for p in project.root.rglob("*") if p.is_file() and "project.vseg" not in p.name
    )
    return [m.original_name for m in project.media.list()], files


def test_video_import_copies_indexes_and_records_metadata(tmp_path, files):
    good, video, _ = files
    with Project.create(tmp_path / "p") as project:
        report = project.import_media([good, video])
        item = report.added[1]
        assert (item.kind.value, item.width, item.height, item.frame_count) == (
            "video",
            320,
            240,
            12,
        )
        assert project.frame_index_path(item).is_file()
        assert (project.root / item.path).read_bytes() == video.read_bytes()
        frames = project.open_frames(item)
        assert frames.read(11).shape == (240, 320, 3)
        frames.close()


def test_one_bad_file_imports_nothing(tmp_path, files):
    good, video, bad = files
    with Project.create(tmp_path / "p") as project:
        before = _state(project)
        with pytest.raises(MediaError, match="broken.jpg"):
            project.import_media([good, video, bad])
        assert _state(project) == before


def test_skip_bad_keeps_the_good_files_and_reports_the_bad(tmp_path, files):
    good, video, bad = files
    with Project.create(tmp_path / "p") as project:
        report = project.import_media([good, bad, video], skip_bad=True)
        assert [m.original_name for m in report.added] == ["good.png", "clip.mp4"]
        assert [p.name for p, _ in report.errors] == ["broken.jpg"]
        assert _state(project)[0] == ["good.png", "clip.mp4"]


def test_failure_after_copying_removes_the_copy(tmp_path, files, monkeypatch):
    _, video, _ = files
    with Project.create(tmp_path / "p") as project:

        def fail(item):
            raise MediaError("disk full while recording")

        monkeypatch.setattr(project.media, "insert", fail)
        with pytest.raises(MediaError):
            project.import_media([video])
        assert _state(project) == ([], [])


def test_same_name_different_content_gets_a_free_name(tmp_path):
    a, b = tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"
    for path, value in ((a, 0), (b, 255)):
        path.parent.mkdir()
        Image.fromarray(np.full((4, 4, 3), value, np.uint8)).save(path)
    with Project.create(tmp_path / "p") as project:
        added = project.import_media([a, b]).added
        assert [m.path for m in added] == ["media/x.png", "media/x-2.png"]
