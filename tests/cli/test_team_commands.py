"""`videoseg split` and `videoseg merge`, in-process: a round trip with a conflict."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.store import Project
from videoseg_desktop.store.team_package import MANIFEST_NAME


def _rle(x: int):
    mask = np.zeros((20, 30), bool)
    mask[2:9, x : x + 5] = True
    return encode_rle(mask)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "lead")
    root = tmp_path / "proj"
    files = []
    for i in range(3):
        files.append(tmp_path / f"f{i}.png")
        Image.fromarray(np.full((20, 30, 3), 50 * i, np.uint8)).save(files[-1])
    with Project.create(root, name="Farm") as p:
        p.import_media(files)
        label = p.labels.add("cow")
        obj = p.objects.add(1, label.id)
        p.masks.put(obj.id, 0, _rle(1), MaskSource.CLICKED)
    return root


def test_split_then_merge_with_a_conflict(project, tmp_path, capsys):
    out = tmp_path / "packages"
    assert main(["split", str(project), "--per-annotator", "ann,ben", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ann\t") and "2 media items, 2 frames, 1 object" in lines[0]
    assert "1 media item, 1 frame, 0 objects" in lines[1]
    ann, ben = out / "Farm-ann", out / "Farm-ben"
    with Project.open(ann, user="ann") as pkg:
        pkg.masks.put(pkg.objects.list(1)[0].id, 0, _rle(9), MaskSource.EDITED)
        pkg.masks.put(pkg.objects.add(2).id, 0, _rle(3), MaskSource.CLICKED)
    extra = []
    for name, value in (("barn.png", 210), ("linked.png", 230)):
        extra.append(tmp_path / name)
        Image.fromarray(np.full((20, 30, 3), value, np.uint8)).save(extra[-1])
    with Project.open(ben, user="ben") as pkg:
        pkg.masks.put(pkg.objects.add(3).id, 0, _rle(5), MaskSource.CLICKED)
        barn = pkg.import_media(extra[:1]).added[0]
        pkg.masks.put(pkg.objects.add(barn.id).id, 0, _rle(7), MaskSource.CLICKED)
        pkg.import_media(extra[1:], link=True)  # a link names a file on ben's disk: refused
    with Project.open(project) as p:
        p.masks.put(p.objects.list(1)[0].id, 0, _rle(12), MaskSource.EDITED)

    assert main(["merge", str(project), str(ann), str(ben)]) == 0
    text = capsys.readouterr().out
    assert "Farm-ann (ann): 2 items merged (1 new), 1 conflict" in text
    assert "  conflict\tf0.png\tcow 1\tchanged in the project and in the package" in text
    assert (
        "Farm-ben (ben): 3 items merged (2 new), 0 conflicts, 1 media item added, "
        "1 media item refused"  # the objects on f2 and barn.png, the status of f2
    ) in text
    assert (
        "  media refused\tlinked.png: it is linked to a file outside the package; import a "
        "copy into the package instead"
    ) in text
    with Project.open(project, read_only=True) as p:
        states = {o.name: o.state for o in p.objects.list(1)}
        assert states == {"cow 1": ObjectState.CONFLICT, "cow 1 (ann)": ObjectState.CONFLICT}
        assert p.masks.get(p.objects.list(3)[0].id, 0).author == "ben"
        (barn,) = p.media.find_by_name("barn.png")
        assert p.media_path(barn).parent == p.media_dir and len(p.objects.list(barn.id)) == 1

    assert main(["merge", str(project), str(ann)]) == 0
    assert "nothing new since the last merge" in capsys.readouterr().out


def test_merge_refuses_foreign_and_damaged_packages_with_one_line(project, tmp_path, capsys):
    out = tmp_path / "packages"
    assert main(["split", str(project), "--into", "1", "--out", str(out), "--link"]) == 0
    package = out / "Farm-annotator-1"
    other = tmp_path / "other"
    assert main(["new", str(other)]) == 0
    capsys.readouterr()
    assert main(["merge", str(other), str(package)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "work package of another project ('Farm')" in err
    (package / MANIFEST_NAME).write_text('{"format": "videoseg-team-package", "version": 1')
    assert main(["merge", str(project), str(package)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "its manifest is damaged" in err
