"""Names that end up in exports and the window, and the modes of the files we create."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.cli.main import main
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.files import current_umask
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.store import Project


@pytest.fixture
def project(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    with Project.create(tmp_path / "p") as p:
        p.import_media([tmp_path / "a.png"])
        yield p


@pytest.mark.parametrize(
    "name", ["x" * 101, "bell\x07", "esc\x1b[31mred", "new\nline", "tab\there", "\udcff"]
)
def test_label_and_object_names_are_short_and_printable(project, name):
    with pytest.raises(VideoSegError, match="at most 100 printable"):
        project.labels.add(name)
    label = project.labels.add("cat")
    with pytest.raises(VideoSegError, match="at most 100 printable"):
        project.labels.rename("cat", name)
    obj = project.objects.add(1, label.id)
    with pytest.raises(VideoSegError, match="at most 100 printable"):
        project.objects.rename(obj.id, name)
    with pytest.raises(VideoSegError, match="at most 100 printable"):
        project.objects.add(1, label.id, name=name)
    assert project.labels.add("x" * 100).name == "x" * 100  # the limit itself is fine
    assert project.labels.add("chat noir é 猫").name == "chat noir é 猫"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_media_and_exports_follow_the_umask(tmp_path, umask):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        assert main(["new", str(tmp_path / "p")]) == 0
        assert main(["import", str(tmp_path / "p"), str(tmp_path / "a.png")]) == 0
        with Project.open(tmp_path / "p") as p:
            obj = p.objects.add(1, p.labels.add("cat").id)
            p.masks.put(obj.id, 0, encode_rle(np.eye(8, dtype=bool)), "clicked")
        assert main(["export", str(tmp_path / "p"), "--format", "yolo"]) == 0
        assert main(["export", str(tmp_path / "p"), "--format", "coco", "--zip"]) == 0
    finally:
        os.umask(old)
    copy = tmp_path / "p" / "media" / "a.png"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o666 & ~umask
    (folder,) = [p for p in (tmp_path / "p" / "exports").iterdir() if p.is_dir()]
    (zipped,) = (tmp_path / "p" / "exports").glob("*.zip")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((folder / "data.yaml").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(zipped.stat().st_mode) == 0o666 & ~umask
