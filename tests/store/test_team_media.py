"""Merging a work package's own media and review decisions: copied in with the importer's
checks, deduped by content, refused per item when its path leaves the package; decisions kept
with their reviewer and time, opposite ones reported as conflicts; merging twice changes
nothing."""

from __future__ import annotations

import sqlite3

import pytest

from tests.helpers.team import every_table, png, rle
from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.core.records import MaskSource, MediaStatus, ObjectState
from videoseg_desktop.media.hashing import sha256_file
from videoseg_desktop.store import Project
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_split import split_project


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_media_added_in_a_package_round_trip_and_merging_twice_changes_nothing(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["alice", "bob"])[0].folder  # img0 only
    photo = png(tmp_path / "alley.png", 222)
    clip = write_video(moving_square_frames(6, 64, 48), tmp_path / "clip.mp4")
    twin = tmp_path / "copy-of-img1.png"
    twin.write_bytes((source.media_dir / "img1.png").read_bytes())  # content the source has (bob's)
    with Project.open(folder, user="alice") as pkg:
        added = pkg.import_media([photo, clip, twin]).added
        assert [m.original_name for m in added] == ["alley.png", "clip.mp4", "copy-of-img1.png"]
        image, video, dup = added
        car = pkg.labels.get("car").id
        bike = pkg.labels.add("bike").id  # a label new in the package comes too
        o1 = pkg.objects.add(image.id, bike)
        pkg.masks.put(o1.id, 0, rle(3), MaskSource.CLICKED, "tiny", score=0.7)
        o2 = pkg.objects.add(video.id, car)
        for frame in range(3):
            pkg.masks.put(o2.id, frame, rle(frame * 4, 48, 64), MaskSource.PROPAGATED, "tiny")
        pkg.masks.put(pkg.objects.add(dup.id, car).id, 0, rle(9), MaskSource.EDITED)
        pkg.review.accept(image.id)  # accepted, and the image marked reviewed
        decided = pkg.db.conn.execute(
            "SELECT decision, author, created_at FROM review_decisions ORDER BY id"
        ).fetchall()
    before_files = files(source.media_dir)

    report = merge_package(source, folder)
    assert (report.media_added, report.media_matched, report.media_refused) == (2, 1, [])
    assert (report.added, report.conflicts, report.decisions) == (3, [], 2)
    assert "2 media items added (1 already here), 2 review decisions merged" in report.line()
    assert files(source.media_dir) == sorted([*before_files, "alley.png", "clip.mp4"])
    alley = source.media.find_by_name("alley.png")[0]
    movie = source.media.find_by_name("clip.mp4")[0]
    assert sha256_file(source.media_path(alley)) == sha256_file(photo)
    assert (movie.kind, movie.frame_count) == ("video", 6)
    assert source.frame_index_path(movie).is_file()  # indexed as any import is
    assert alley.status == MediaStatus.REVIEWED and alley.status_by == "alice"
    (obj,) = source.objects.list(alley.id)
    mask = source.masks.get(obj.id, 0)
    assert (mask.author, mask.score, mask.accepted_by) == ("alice", 0.7, "alice")
    assert {lb.id: lb.name for lb in source.labels.list()}[obj.label_id] == "bike"
    (track,) = source.objects.list(movie.id)
    assert [f for f, _ in source.masks.frames_of(track.id)] == [0, 1, 2]
    img1 = source.media.find_by_name("img1.png")[0]  # the duplicate mapped, not copied twice
    assert {o.name for o in source.objects.list(img1.id)} == {"car 1", "car 1 2"}
    here = source.db.conn.execute(
        "SELECT decision, author, created_at, media_id, object_id FROM review_decisions ORDER BY id"
    ).fetchall()
    assert [tuple(r[:3]) for r in here] == [tuple(r) for r in decided]
    assert {r[3] for r in here} == {alley.id} and here[0][4] == obj.id

    snapshot, listing = every_table(source), files(source.media_dir)
    again = merge_package(source, folder)
    assert not again.changed and "nothing new" in again.line()
    assert every_table(source) == snapshot and files(source.media_dir) == listing

    with Project.open(folder, user="alice") as pkg:  # keeps working on the added video
        o2 = pkg.objects.list(video.id)[0]
        pkg.masks.put(o2.id, 3, rle(12, 48, 64), MaskSource.EDITED)
    third = merge_package(source, folder)
    assert (third.merged, third.added, third.media_added) == (2, 0, 0)  # the object, the status
    assert source.media.get(movie.id).status == MediaStatus.IN_PROGRESS
    assert [f for f, _ in source.masks.frames_of(track.id)] == [0, 1, 2, 3]


def test_a_media_path_leaving_the_package_is_refused_for_that_item(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    secret = png(tmp_path / "secret.png", 99)  # a file of the lead's, outside the package
    with Project.open(folder, user="alice") as pkg:
        items = pkg.import_media(
            [png(tmp_path / f"p{i}.png", 100 + 20 * i) for i in range(6)]
        ).added
        for item in items:
            pkg.masks.put(pkg.objects.add(item.id).id, 0, rle(5), MaskSource.CLICKED)
    (folder / "media" / "evil.png").symlink_to(secret)
    size = secret.stat().st_size
    crafted = [
        ("media/../../../secret.png", 0, size),  # climbs out
        (str(secret), 1, size),  # linked to any file on this disk
        ("media/evil.png", 0, size),  # a symbolic link leading out
        ("/etc/hostname", 0, size),  # absolute
        ("media/p4.png", 0, items[4].byte_size + 1),  # another size than recorded
    ]
    conn = sqlite3.connect(folder / "project.vseg")
    with conn:
        for item, (path, linked, nbytes) in zip(items, crafted, strict=False):
            conn.execute(
                "UPDATE media SET path = ?, linked = ?, byte_size = ? WHERE id = ?",
                (path, linked, nbytes, item.id),
            )
    conn.close()
    media_before = source.media.count()

    report = merge_package(source, folder)
    assert report.media_added == 1 and len(report.media_refused) == 5
    why = "\n".join(report.media_refused)
    assert all("\n" not in line for line in report.media_refused)
    assert "p0.png: its path leads outside the package's media folder" in why
    assert "p1.png: it is linked to a file outside the package" in why
    assert "p2.png: its file is a link leading outside" in why
    assert "p3.png: its path leads outside" in why
    assert "p4.png: its file changed after it was imported" in why
    assert "5 media items refused" in report.line()
    assert source.media.count() == media_before + 1  # p5 merged, with its object
    (kept,) = source.media.find_by_name("p5.png")
    assert len(source.objects.list(kept.id)) == 1
    assert not any(p.name == "secret.png" for p in source.media_dir.iterdir())
    assert sha256_file(secret) not in {
        r[0] for r in source.db.conn.execute("SELECT sha256 FROM media")
    }
    snapshot = every_table(source)
    assert not merge_package(source, folder).changed  # refused again, nothing written
    assert every_table(source) == snapshot


def test_a_bad_media_file_is_one_line_and_the_rest_merges(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    with Project.open(folder, user="alice") as pkg:
        bad, good = pkg.import_media([png(tmp_path / "a.png", 1), png(tmp_path / "b.png", 2)]).added
    broken = folder / "media" / "a.png"
    broken.write_bytes(b"\x89PNG not really" + b"\0" * (broken.stat().st_size - 15))
    report = merge_package(source, folder)
    assert report.media_added == 1 and len(report.media_refused) == 1
    assert report.media_refused[0].startswith("a.png is not a valid PNG file")  # one name
    assert [m.original_name for m in source.media.find_by_name("b.png")] == ["b.png"]
    assert not source.media.find_by_name("a.png")
    assert not [p for p in source.media_dir.iterdir() if p.name.startswith((".import", "a"))]


def test_opposite_review_decisions_are_a_conflict_never_overwritten(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    with Project.open(folder, user="alice") as pkg:
        obj = pkg.objects.list(1)[0]
        pkg.review.accept(1, obj.id, comment="looks right")
    lead_obj = source.objects.list(1)[0]
    source.review.reject(1, lead_obj.id, frames=(0, 0), comment="wrong car")

    report = merge_package(source, folder)
    assert len(report.conflicts) == 1  # one line for the item, with both reasons
    conflict = report.conflicts[0]
    assert (conflict.media, conflict.item) == ("img0.png", "car 1")
    assert "accepted in the package by alice, rejected in the project by lead" in conflict.why
    rows = source.db.conn.execute(
        "SELECT decision, comment, author FROM review_decisions WHERE media_id = 1 ORDER BY id"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("reject", "wrong car", "lead"),
        ("accept", "looks right", "alice"),
    ]
    states = {o.name: o.state for o in source.objects.list(1)}
    assert states == {"car 1 (alice)": ObjectState.CONFLICT}  # the lead's rejection removed it
    theirs = source.objects.list(1)[0]
    assert source.masks.get(theirs.id, 0).accepted_by == "alice"
    snapshot = every_table(source)
    assert not merge_package(source, folder).changed
    assert every_table(source) == snapshot


def test_a_decision_conflict_alone_sets_both_objects_to_conflict(source, tmp_path):
    """Opposite decisions whose objects otherwise merge cleanly are still a conflict."""
    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    with Project.open(folder, user="alice") as pkg:
        pkg.review.set_status([1], MediaStatus.NEEDS_CHANGES, "redo the car")
    source.review.set_status([1], MediaStatus.REVIEWED)
    report = merge_package(source, folder)
    assert [(c.item, c.why) for c in report.conflicts] == [
        (
            "status",
            "status changed in the project and in the package; sent back in the package "
            "by alice, marked reviewed in the project by lead",
        )
    ]
    assert source.media.get(1).status == MediaStatus.REVIEWED  # the source's, kept
    decisions = [
        r[0] for r in source.db.conn.execute("SELECT decision FROM review_decisions ORDER BY id")
    ]
    assert decisions == ["reviewed", "needs-changes"]


def test_a_merge_that_fails_removes_the_files_it_copied(source, tmp_path, monkeypatch):
    import videoseg_desktop.store.team_merge as team_merge

    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    clip = write_video(moving_square_frames(4, 64, 48), tmp_path / "clip.mp4")
    with Project.open(folder, user="alice") as pkg:
        pkg.import_media([png(tmp_path / "new.png", 77), clip])
    snapshot, listing = every_table(source), files(source.media_dir)
    index_dir = source.cache_dir / "index"
    indexes = files(index_dir) if index_dir.is_dir() else []

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(team_merge, "merge_decisions", broken)
    with pytest.raises(RuntimeError):
        merge_package(source, folder)
    assert every_table(source) == snapshot and files(source.media_dir) == listing
    assert (files(index_dir) if index_dir.is_dir() else []) == indexes
    monkeypatch.undo()
    assert merge_package(source, folder).media_added == 2  # and it merges once fixed


def test_a_media_id_reused_in_the_package_for_other_content_is_imported_anew(source, tmp_path):
    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    with Project.open(folder, user="alice") as pkg:
        first = pkg.import_media([png(tmp_path / "first.png", 11)]).added[0]
        pkg.masks.put(pkg.objects.add(first.id).id, 0, rle(1), MaskSource.CLICKED)
    assert merge_package(source, folder).media_added == 1
    with Project.open(folder, user="alice") as pkg:
        pkg.media.delete(first.id)
        second = pkg.import_media([png(tmp_path / "second.png", 33)]).added[0]
        pkg.masks.put(pkg.objects.add(second.id).id, 0, rle(7), MaskSource.CLICKED)
    assert second.id == first.id  # SQLite gave the freed id again
    report = merge_package(source, folder)
    assert report.media_added == 1
    (kept,) = source.media.find_by_name("second.png")
    assert (
        source.masks.get(source.objects.list(kept.id)[0].id, 0).rle["counts"] == (rle(7)["counts"])
    )
    (old,) = source.media.find_by_name("first.png")  # the project keeps what it merged before
    assert source.media_path(old).is_file()
    assert source.objects.list(old.id) == []  # its object was deleted in the package (its id
    # now names the object on second.png, which must not replace it)
    assert report.merged == 2  # that deletion and the new object


def test_one_accept_over_masks_of_two_authors_merges_both_rows(source, tmp_path):
    clip = write_video(moving_square_frames(2, 64, 48), tmp_path / "clip.mp4")
    video = source.import_media([clip]).added[0]
    lead = source.objects.add(video.id, source.labels.get("car").id)
    source.masks.put(lead.id, 0, rle(2, 48, 64), MaskSource.CLICKED, "tiny")
    folder = split_project(source, tmp_path / "out", ["alice"])[0].folder
    with Project.open(folder, user="alice") as pkg:
        obj = pkg.objects.list(video.id)[0]
        pkg.masks.put(obj.id, 1, rle(8, 48, 64), MaskSource.EDITED)  # frame 0 is the lead's
        pkg.review.accept(video.id, obj.id, frames=(0, 1))
        rows = pkg.db.conn.execute(
            "SELECT mask_author, masks FROM review_decisions ORDER BY id"
        ).fetchall()
    assert sorted(tuple(r) for r in rows) == [("alice", 1), ("lead", 1)]  # one span, one time
    assert merge_package(source, folder).decisions == 2
    merged = source.db.conn.execute(
        "SELECT mask_author, author FROM review_decisions ORDER BY id"
    ).fetchall()
    assert sorted(tuple(r) for r in merged) == [("alice", "alice"), ("lead", "alice")]
