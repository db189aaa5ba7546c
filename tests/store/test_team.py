"""Work packages: split a project per annotator, merge their work back with conflicts kept."""

from __future__ import annotations

import json

import pytest

from tests.helpers.team import rle
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskSource, MediaStatus, ObjectState
from videoseg_desktop.store import Project
from videoseg_desktop.store.review_flags import ensure_flags, read_thresholds
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_package import MANIFEST_NAME, TeamPackageError, read_manifest
from videoseg_desktop.store.team_split import annotator_names, assign, split_project

SOURCE_IMAGES = 4  # the source fixture's pictures (tests/store/conftest.py)


def _package(folder, user):
    return Project.open(folder, user=user)


def _objects(project, media_id):
    return {o.name: o for o in project.objects.list(media_id)}


def test_split_writes_self_contained_packages_with_a_manifest(source, tmp_path):
    infos = split_project(source, tmp_path / "out", ["alice", "bob"])
    assert [i.annotator for i in infos] == ["alice", "bob"]
    assert [i.media for i in infos] == [2, 2]
    alice = infos[0].folder
    assert alice.name == "Streets-alice"
    manifest = read_manifest(alice)
    assert manifest.annotator == "alice" and sorted(manifest.media) == [1, 2]
    assert len(manifest.baseline_objects) == 2
    with _package(alice, "alice") as pkg:
        assert pkg.name == "Streets (alice)"
        assert [m.id for m in pkg.media.list()] == [1, 2]
        assert [lb.name for lb in pkg.labels.list()] == ["car"]
        item = pkg.media.get(1)
        assert not item.linked and pkg.media_path(item).is_file()  # copied into the package
        mask = pkg.masks.get(pkg.objects.list(1)[0].id, 0)
        assert mask.author == "lead" and mask.score == 0.9  # provenance comes along


def test_split_can_link_media_and_share_by_frames(source, tmp_path):
    infos = split_project(source, tmp_path / "out", ["a"], link=True)
    with _package(infos[0].folder, "a") as pkg:
        item = pkg.media.get(1)
        assert item.linked and pkg.media_path(item) == source.media_path(source.media.get(1))
        assert not any((infos[0].folder / "media").iterdir())
    groups = assign([(1, 100), (2, 1), (3, 1), (4, 60), (5, 50)], 2, by_frames=True)
    assert groups == [[1, 2, 3], [4, 5]]  # 102 and 110 frames
    assert assign([(i, 1) for i in range(1, 6)], 2) == [[1, 2, 3], [4, 5]]


def test_round_trip_with_a_conflict_and_merging_twice_changes_nothing(source, tmp_path):
    alice, bob = (i.folder for i in split_project(source, tmp_path / "out", ["alice", "bob"]))
    with _package(alice, "alice") as pkg:
        car = pkg.labels.get("car").id
        changed = pkg.objects.list(1)[0]
        pkg.masks.put(changed.id, 0, rle(10), MaskSource.EDITED)  # also changed in the source
        new = pkg.objects.add(2, car)
        pkg.masks.put(new.id, 0, rle(20), MaskSource.CLICKED, "tiny", score=0.8)
        pkg.media.get(2)
    with _package(bob, "bob") as pkg:
        mine = pkg.objects.list(3)[0]
        pkg.masks.put(mine.id, 0, rle(14), MaskSource.EDITED)
        pkg.objects.delete(pkg.objects.list(4)[0].id)
    lead_obj = source.objects.list(1)[0]
    source.masks.put(lead_obj.id, 0, rle(6), MaskSource.EDITED)

    report = merge_package(source, alice)
    assert (report.merged, report.added, len(report.conflicts)) == (1, 1, 1)
    conflict = report.conflicts[0]
    assert (conflict.media, conflict.item) == ("img0.png", "car 1")
    side_by_side = _objects(source, 1)
    assert set(side_by_side) == {"car 1", "car 1 (alice)"}
    assert {o.state for o in side_by_side.values()} == {ObjectState.CONFLICT}
    assert source.masks.get(side_by_side["car 1"].id, 0).author == "lead"  # never overwritten
    theirs = source.masks.get(side_by_side["car 1 (alice)"].id, 0)
    assert theirs.author == "alice" and theirs.rle["counts"] == rle(10)["counts"]
    added = _objects(source, 2)["car 2"]
    assert source.masks.get(added.id, 0).author == "alice" and added.author == "alice"
    ensure_flags(source.db, read_thresholds(source.db.conn))
    flagged = {r[0] for r in source.db.conn.execute("SELECT object_id FROM review_flags")}
    assert {o.id for o in side_by_side.values()} <= flagged

    def snapshot():  # every table, decisions, effort and flags included
        conn = source.db.conn
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        assert len(tables) > 15
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for (t,) in tables}

    before = snapshot()
    again = merge_package(source, alice)
    assert not again.changed and "nothing new" in again.line()
    assert snapshot() == before

    report = merge_package(source, bob)
    assert (report.merged, report.added, report.conflicts) == (2, 0, [])
    assert source.masks.get(source.objects.list(3)[0].id, 0).author == "bob"
    assert source.objects.list(4) == []  # bob deleted it; nobody else had touched it
    row = source.db.conn.execute(
        "SELECT merged_by, merges FROM team_packages WHERE annotator = 'bob'"
    ).fetchone()
    assert tuple(row) == ("lead", 1)


def test_two_packages_changing_one_item_conflict(source, tmp_path):
    """The second package to change an item the first one changed is a conflict."""
    a, b = (
        i.folder
        for i in split_project(source, tmp_path / "o1", ["a"])
        + split_project(source, tmp_path / "o2", ["b"])
    )
    for folder, user, x in ((a, "a", 8), (b, "b", 16)):
        with _package(folder, user) as pkg:
            pkg.masks.put(pkg.objects.list(1)[0].id, 0, rle(x), MaskSource.EDITED)
            pkg.review.set_status([1], MediaStatus.DONE if user == "a" else MediaStatus.TODO)
    first = merge_package(source, a)
    assert (first.merged, first.conflicts) == (2, [])  # the object and the status
    assert source.media.get(1).status == MediaStatus.DONE
    second = merge_package(source, b)
    assert [(c.item, c.why.split()[0]) for c in second.conflicts] == [
        ("car 1", "changed"),
        ("status", "status"),
    ]
    assert source.media.get(1).status == MediaStatus.DONE  # the first one's, kept


def test_a_package_of_another_project_is_refused_with_one_line(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["a"])[0].folder
    with Project.create(tmp_path / "other") as other:
        split_project_other = other  # a project with no packages at all
        with pytest.raises(TeamPackageError, match="another project") as info:
            merge_package(split_project_other, folder)
    assert "\n" not in str(info.value)


def test_a_damaged_manifest_is_one_line(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["a"])[0].folder
    manifest = folder / MANIFEST_NAME
    for text in ("{not json", json.dumps({"format": "videoseg-team-package", "version": 1})):
        manifest.write_text(text)
        with pytest.raises(TeamPackageError, match="manifest is damaged") as info:
            merge_package(source, folder)
        assert "\n" not in str(info.value)
    manifest.unlink()
    with pytest.raises(TeamPackageError, match="not a work package"):
        merge_package(source, folder)


def test_split_refuses_bad_requests(source, tmp_path):
    with pytest.raises(VideoSegError, match="different name"):
        annotator_names(names=["a", "A"])
    with pytest.raises(VideoSegError, match="cannot be shared"):
        split_project(source, tmp_path / "out", [f"u{i}" for i in range(5)])
    with pytest.raises(VideoSegError, match="outside the project"):
        split_project(source, source.root / "packages", ["a"])
    (tmp_path / "busy" / "Streets-a").mkdir(parents=True)
    (tmp_path / "busy" / "Streets-a" / "x").write_text("x")
    with pytest.raises(VideoSegError, match="not empty"):
        split_project(source, tmp_path / "busy", ["a"])


def test_a_crafted_label_in_a_package_is_refused_and_nothing_is_merged(source, tmp_path):
    import sqlite3

    folder = split_project(source, tmp_path / "out", ["a"])[0].folder
    with sqlite3.connect(folder / "project.vseg") as conn:
        conn.execute("INSERT INTO labels (name, color, sort_order) VALUES ('bad\x07', 'x', 9)")
    conn.close()
    before = source.db.conn.execute("SELECT count(*) FROM labels").fetchone()[0]
    with pytest.raises(TeamPackageError, match="a label of the package is refused"):
        merge_package(source, folder)
    assert source.db.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == before


def test_finished_prelabel_runs_come_back_so_a_later_run_skips_those_media(source, tmp_path):
    """An annotator pre-labelled their media and rejected the bad suggestions: after the merge
    the lead's own run must skip those media, not suggest the rejected ones again."""
    (alice,) = (i.folder for i in split_project(source, tmp_path / "out", ["alice"]))
    with _package(alice, "alice") as pkg:
        done = pkg.prelabels.start(1, "text:car", "sam3")
        pkg.prelabels.update(done.id, frames=1, found=3, done=True)
        pkg.prelabels.start(2, "text:car", "sam3")  # unfinished: not brought back
    source.prelabels.start(3, "text:car", "sam3")  # the lead's own, also unfinished
    merge_package(source, alice)
    runs = {(r.media_id, r.state): r for r in source.prelabels.list()}
    assert set(runs) == {(1, "done"), (3, "running")}
    assert runs[1, "done"].found == 3 and runs[1, "done"].author == "alice"
    before = [tuple(r) for r in source.db.conn.execute("SELECT * FROM prelabel_runs")]
    merge_package(source, alice)  # again: nothing new
    assert [tuple(r) for r in source.db.conn.execute("SELECT * FROM prelabel_runs")] == before


def test_a_crafted_prelabel_run_is_refused_with_one_line(source, tmp_path):
    import sqlite3

    (alice,) = (i.folder for i in split_project(source, tmp_path / "out", ["alice"]))
    with _package(alice, "alice") as pkg:
        run = pkg.prelabels.start(1, "text:car", "sam3")
        pkg.prelabels.update(run.id, done=True)
    conn = sqlite3.connect(alice / "project.vseg")
    conn.execute("UPDATE prelabel_runs SET found = 'many', concept = zeroblob(10)")
    conn.commit()
    conn.close()
    with pytest.raises(TeamPackageError, match="refuses"):
        merge_package(source, alice)
    assert source.prelabels.list() == []
