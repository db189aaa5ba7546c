"""Merging a work package from a read-only disk or share (a real read-only tmpfs, where the
platform allows): SQLite cannot create the package's -shm file there, so merge reads a private
copy, its -wal included, and the package is left exactly as it was."""

from __future__ import annotations

import shutil

from tests.helpers.filesystems import remount_read_only, small_tmpfs
from tests.helpers.team import rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_package import open_package_db
from videoseg_desktop.store.team_split import split_project


def listing(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_package_on_a_read_only_disk_merges_with_its_unsaved_wal(source, tmp_path):
    (folder,) = (i.folder for i in split_project(source, tmp_path / "out", ["alice"]))
    with small_tmpfs(tmp_path / "share", 4096) as share:
        with Project.open(folder, user="alice") as pkg:
            car = pkg.objects.list(1)[0]
            pkg.masks.put(car.id, 0, rle(12), MaskSource.EDITED)
            added = pkg.objects.add(2, pkg.labels.get("car").id)
            pkg.masks.put(added.id, 0, rle(18), MaskSource.CLICKED, "tiny", score=0.7)
            # Copied while the app still holds it: the work is in the -wal, not the database.
            assert (folder / f"{DB_NAME}-wal").stat().st_size > 0
            shutil.copytree(folder, share / folder.name)
        remount_read_only(share)
        on_share = share / folder.name
        before = listing(on_share)

        report = merge_package(source, on_share)

        assert (report.merged, report.added, report.conflicts) == (2, 1, []), report.line()
        assert listing(on_share) == before  # nothing written beside it, nothing changed
    merged = source.masks.get(source.objects.list(1)[0].id, 0)
    assert merged.author == "alice" and merged.rle["counts"] == rle(12)["counts"]
    (new,) = [o for o in source.objects.list(2) if o.author == "alice"]
    assert source.masks.get(new.id, 0).rle["counts"] == rle(18)["counts"]


def test_a_checkpointed_package_on_a_read_only_disk_merges_too(source, tmp_path):
    (folder,) = (i.folder for i in split_project(source, tmp_path / "out", ["alice"]))
    with Project.open(folder, user="alice") as pkg:
        pkg.masks.put(pkg.objects.list(2)[0].id, 0, rle(16), MaskSource.EDITED)
    with small_tmpfs(tmp_path / "share", 4096) as share:
        shutil.copytree(folder, share / folder.name)
        remount_read_only(share)
        with open_package_db(share / folder.name / DB_NAME) as conn:
            assert conn.execute("SELECT count(*) FROM masks").fetchone()[0] == 2
        report = merge_package(source, share / folder.name)
    assert report.merged == 1
    assert source.masks.get(source.objects.list(2)[0].id, 0).author == "alice"
