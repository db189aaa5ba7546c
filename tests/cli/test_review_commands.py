"""`videoseg review | status | review-settings | attributes | set-attribute | stats`, in-process,
with who did what recorded on every write (--user, else VIDEOSEG_USER)."""

from __future__ import annotations

import csv
import json

import pytest

from tests.helpers.review import add_media, put_track
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.records import MaskSource, MediaKind, MediaStatus, ObjectState
from videoseg_desktop.store import Project


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Media 1: a 30-frame video with a tracked 'car' (drifting at 10) and a suggested 'pre';
    media 2: an image with a low-confidence clicked 'cat'."""
    monkeypatch.setenv("VIDEOSEG_USER", "annie")
    folder = tmp_path / "proj"
    with Project.create(folder) as p:
        video = add_media(p, "clip.mp4", frames=30)
        image = add_media(p, "cat.png", MediaKind.IMAGE, 1)
        car = p.objects.add(video.id, p.labels.add("car").id, name="car")
        put_track(p, car.id, [0], source=MaskSource.CLICKED, score=0.9)
        put_track(p, car.id, range(1, 20), x=lambda f: 10 if f < 10 else 40)
        pre = p.objects.add(video.id, car.label_id, name="pre", state=ObjectState.SUGGESTED)
        put_track(p, pre.id, range(22, 25), source=MaskSource.AUTO, score=0.66)
        cat = p.objects.add(image.id, p.labels.add("cat").id, name="cat")
        put_track(p, cat.id, [0], source=MaskSource.CLICKED, score=0.5)
    monkeypatch.setenv("VIDEOSEG_USER", "rita")  # the reviewer from here on
    return folder


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_review_lists_the_queue_as_text_and_json(project, capsys):
    code, out, err = _run(capsys, "review", project)
    assert code == 0 and "3 items" in err
    lines = out.splitlines()
    assert lines[0] == "media\tframes\tobject\treasons\tscore\tdetail"
    assert lines[1].startswith("1\t9-10\tcar\tdrift\t0.950\t")
    assert lines[2].startswith("1\t22-24\tpre\tauto,low-score\t0.660\t")
    assert lines[3].startswith("2\t0\tcat\tlow-score\t0.500\tconfidence 0.50")
    code, out, _ = _run(capsys, "review", project, "--json", "--media", "2")
    (item,) = json.loads(out)
    assert (item["media_id"], item["frame"], item["object"], item["reasons"], item["score"]) == (
        2, 0, "cat", ["low-score"], 0.5,
    )  # fmt: skip
    code, out, _ = _run(capsys, "review", project, "--state", "suggested", "--json")
    assert [(i["object"], i["frame"], i["last_frame"]) for i in json.loads(out)] == [
        ("pre", 22, 24)
    ]


def test_accept_and_reject_record_the_reviewer(project, capsys):
    code, out, _ = _run(capsys, "review", project, "accept", "--media", "1", "--object", "car",
                        "--frames", "9-10", "--comment", "fine", "--user", "bob")  # fmt: skip
    assert code == 0 and out.strip() == "accepted: 2 masks of media 1"
    code, out, _ = _run(capsys, "review", project, "reject", "--media", "1", "--object", "pre")
    assert code == 0 and "removed empty object: pre" in out
    code, out, _ = _run(capsys, "review", project, "reject", "--media", "2", "--comment", "redo")
    assert code == 0 and "needs-changes" in out
    with Project.open(project, read_only=True) as p:
        car = p.objects.find(1, "car")
        assert p.masks.get(car.id, 9).accepted_by == "bob"
        assert p.objects.find(1, "pre") is None
        decisions = [(d.decision, d.author, d.mask_author, d.masks, d.comment)
                     for d in p.review.decisions()]  # fmt: skip
        assert decisions == [
            ("accept", "bob", "annie", 2, "fine"),
            ("reject", "rita", "annie", 3, None),
            ("needs-changes", "rita", "annie", 1, "redo"),
        ]
        image = p.media.get(2)
        assert (image.status, image.status_by, image.status_comment) == (
            MediaStatus.NEEDS_CHANGES, "rita", "redo",
        )  # fmt: skip
    code, out, _ = _run(capsys, "review", project, "--state", "needs-changes")
    assert out.splitlines()[1] == "2\t-\t-\tneeds-changes\t-\tredo"


@pytest.mark.parametrize(
    "args, message",
    [
        (["accept"], "--media ID"),
        (["accept", "--media", "1", "--object", "bus"], "no object named 'bus'"),
        (["accept", "--media", "1", "--frames", "25-40"], "out of range"),
        (["reject", "--media", "1", "--frames", "27-28"], "no masks to reject"),
        (["--frames", "1-2"], "needs an action"),
        (["accept", "--media", "1", "--state", "done"], "does not go with"),
        (["accept", "--media", "1", "--comment", "\x1b[2J"], "printable"),
    ],
)
def test_review_mistakes_are_one_line_and_change_nothing(project, capsys, args, message):
    before = (project / "project.vseg").read_bytes()
    code, _, err = _run(capsys, "review", project, *args)
    assert code == 1 and message in err and err.count("\n") == 1
    assert (project / "project.vseg").read_bytes() == before


def test_status_lists_and_sets_workflow_states(project, capsys):
    code, out, _ = _run(capsys, "status", project, "1,2", "done", "--user", "annie")
    assert code == 0 and out.strip() == "media 1, 2: done"
    code, out, _ = _run(capsys, "status", project, "--json")
    rows = json.loads(out)
    assert [(r["id"], r["status"], r["by"]) for r in rows] == [
        (1, "done", "annie"),
        (2, "done", "annie"),
    ]
    code, out, _ = _run(capsys, "review", project, "--state", "done")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["1", "2"]
    with pytest.raises(SystemExit):  # argparse refuses an unknown state
        main(["status", str(project), "1", "finished"])
    assert "invalid choice: 'finished'" in capsys.readouterr().err
    code, _, err = _run(capsys, "status", project, "7", "done")
    assert code == 1 and "no media with id 7" in err


def test_review_settings_change_the_flags(project, capsys):
    code, out, _ = _run(capsys, "review-settings", project, "--json")
    assert json.loads(out) == {
        "min_score": 0.75,
        "score_drop": 0.25,
        "area_ratio": 1.5,
        "shift": 0.5,
    }
    code, out, _ = _run(capsys, "review-settings", project, "min_score=0.4", "area_ratio=10",
                        "shift=5")  # fmt: skip
    assert code == 0 and "min_score\t0.4" in out
    code, out, _ = _run(capsys, "review", project, "--json")
    assert [i["object"] for i in json.loads(out)] == ["pre"]  # only the suggestion is left
    code, _, err = _run(capsys, "review-settings", project, "min_score=2")
    assert code == 1 and "from 0 to 1" in err
    code, _, err = _run(capsys, "review-settings", project, "colour=2")
    assert code == 1 and "unknown review setting" in err


def test_attributes_schema_and_values_with_authors(project, capsys):
    code, out, _ = _run(capsys, "attributes", project, "car", "add", "occluded", "--type", "bool",
                        "--per-frame", "--user", "lead")  # fmt: skip
    assert code == 0 and out.strip() == "added occluded to car: bool, per frame"
    _run(capsys, "attributes", project, "car", "add", "colour", "--type", "choice",
         "--choices", "red,blue")  # fmt: skip
    _run(capsys, "attributes", project, "car", "add", "speed", "--type", "number", "--min", "0")
    code, out, _ = _run(capsys, "attributes", project, "car", "--json")
    assert [a["name"] for a in json.loads(out)] == ["occluded", "colour", "speed"]
    code, out, _ = _run(capsys, "set-attribute", project, "1", "--object", "car",
                        "occluded=yes", "--frames", "5-8")  # fmt: skip
    assert code == 0 and out.strip() == "car: occluded = true on frames 5-8"
    assert _run(capsys, "set-attribute", project, "1", "--object", "car", "colour=red")[0] == 0
    with Project.open(project, read_only=True) as p:
        car = p.objects.find(1, "car")
        assert p.attributes.current(car.id, 6) == {"occluded": True, "colour": "red"}
        specs = {s.name: s.author for s in p.attributes.specs()}
        assert specs["occluded"] == "lead" and specs["colour"] == "rita"
        assert {v.author for v in p.attributes.values(car.id)} == {"rita"}
    # A per-frame value without --frames covers the whole video; an empty value clears.
    _run(capsys, "set-attribute", project, "1", "--object", "car", "occluded=no")
    _run(capsys, "set-attribute", project, "1", "--object", "car", "colour=")
    with Project.open(project, read_only=True) as p:
        car = p.objects.find(1, "car")
        assert [(v.frames, v.value) for v in p.attributes.values(car.id)] == [((0, 29), False)]
    for args, message in [
        (["colour=green"], "not one of red, blue"),
        (["speed=-3"], "below the minimum"),
        (["colour=red", "--frames", "1-2"], "per object"),
        (["size=3"], "has no attribute 'size' (it has: occluded, colour, speed)"),
        (["occluded"], "expected NAME=VALUE"),
    ]:
        code, _, err = _run(capsys, "set-attribute", project, "1", "--object", "car", *args)
        assert code == 1 and message in err, (args, err)
    code, out, _ = _run(capsys, "attributes", project, "car", "remove", "speed")
    assert code == 0 and "removed speed" in out


def test_stats_as_text_json_and_csv(project, capsys, tmp_path):
    with Project.open(project) as p:
        p.effort.add(1, 120.0, 40, author="annie")
        p.effort.add(2, 30.0, 5, author="annie")
    _run(capsys, "review", project, "accept", "--media", "1", "--object", "car", "--frames", "0-10")
    _run(capsys, "review", project, "reject", "--media", "1", "--object", "pre")
    code, out, _ = _run(capsys, "stats", project, "--json", "--csv", tmp_path / "s.csv")
    stats = json.loads(out)
    assert stats["masks"] == 21 and stats["media_by_status"]["in-progress"] == 2
    assert stats["masks_by_source"] == {"clicked": 2, "propagated": 19}
    (annie,) = [a for a in stats["annotators"] if a["user"] == "annie"]
    assert (annie["items"], annie["objects"], annie["masks"]) == (2, 2, 21)  # "pre" went
    assert annie["active_s"] == 150 and annie["median_s_per_image"] == 30
    assert annie["median_s_per_tracked_frame"] == pytest.approx(120 / 20)
    assert annie["masks_per_hour"] == pytest.approx(21 / (150 / 3600), abs=1e-3)
    assert (annie["accepted"], annie["rejected"]) == (11, 3)
    assert annie["reject_rate"] == pytest.approx(3 / 14, abs=1e-4)
    assert stats["review_by_source"]["auto"]["rejected"] == 3
    assert stats["review_by_reviewer"]["rita"] == {
        "accepted": 11, "rejected": 3, "accept_rate": 0.7857, "reject_rate": 0.2143,
    }  # fmt: skip
    rows = list(csv.reader((tmp_path / "s.csv").open()))
    assert rows[0] == ["section", "name", "metric", "value"]
    assert ["annotator", "annie", "masks", "21"] in rows
    code, out, _ = _run(capsys, "stats", project)
    assert "annie\t2\t2\t21\t150 s" in out and "review by source auto" in out


def test_import_annotations_and_new_record_the_user(project, capsys, tmp_path):
    code, _, _ = _run(capsys, "new", tmp_path / "other", "--user", "maker")
    assert code == 0
    with Project.open(project) as p:
        p.review.set_status([2], "reviewed")
    # exports carry no author; the importer is the author of what it adds
    assert _run(capsys, "export", project, "--format", "coco", "--out", tmp_path / "x",
                "--status", "reviewed")[0] == 0  # fmt: skip
    data = json.loads((tmp_path / "x" / "annotations.json").read_text())
    assert [i["file_name"] for i in data["images"]] == ["cat.png"]
    assert data["annotations"][0]["score"] == 0.5
    with Project.open(tmp_path / "other") as other:
        add_media(other, "cat.png", MediaKind.IMAGE, 1)
    assert _run(capsys, "import-annotations", tmp_path / "other", "--format", "coco",
                tmp_path / "x", "--user", "importer")[0] == 0  # fmt: skip
    with Project.open(tmp_path / "other", read_only=True) as other:
        (obj,) = other.objects.list(1)
        mask = other.masks.get(obj.id, 0)
        assert obj.author == mask.author == "importer" and mask.score == 0.5
