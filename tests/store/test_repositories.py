import numpy as np
import pytest

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.store import MaskWrite, Project


def _media(project, name="a.png", sha="s1", kind=MediaKind.IMAGE, frames=1):
    item = MediaItem(
        0, kind, f"media/{name}", name, 10, sha, 40, 30, frames, None, None, "t", False
    )
    return project.media.insert(item)


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "p") as p:
        yield p


def test_labels_add_rename_recolor_remove(project):
    cat = project.labels.add("cat")
    project.labels.add("dog", "#00ff00")
    assert [lb.name for lb in project.labels.list()] == ["cat", "dog"]
    assert project.labels.get("dog").color == "#00FF00"
    project.labels.rename("cat", "kitten")
    project.labels.recolor("kitten", "#123456")
    assert project.labels.by_id(cat.id).name == "kitten"
    assert project.labels.by_id(cat.id).color == "#123456"
    with pytest.raises(VideoSegError, match="already exists"):
        project.labels.rename("kitten", "dog")
    with pytest.raises(VideoSegError, match="#RRGGBB"):
        project.labels.recolor("dog", "green")
    with pytest.raises(VideoSegError, match="no label"):
        project.labels.remove("horse")
    project.labels.remove("dog")
    assert [lb.name for lb in project.labels.list()] == ["kitten"]


def test_removing_a_label_keeps_its_objects(project):
    media = _media(project)
    label = project.labels.add("cat")
    obj = project.objects.add(media.id, label.id)
    assert obj.name == "cat 1"
    project.labels.remove("cat")
    assert project.objects.get(obj.id).label_id is None


def test_masks_round_trip_and_annotated_flag(project):
    media = _media(project)
    obj = project.objects.add(media.id)
    mask = np.zeros((30, 40), bool)
    mask[5:25, 5:35] = True
    mask[10:15, 10:15] = False  # a hole
    project.masks.put(obj.id, 0, encode_rle(mask), MaskSource.CLICKED, "tiny")
    rec = project.masks.get(obj.id, 0)
    assert np.array_equal(decode_rle(rec.rle), mask)
    assert rec.area == int(mask.sum())
    assert rec.bbox == (5.0, 5.0, 30.0, 20.0)
    assert project.media.get(media.id).annotated
    assert [m.id for m in project.media.list("unannotated")] == []
    project.masks.delete(obj.id, 0)
    assert not project.media.get(media.id).annotated


def test_deleting_an_object_cascades_to_prompts_and_masks(project):
    media = _media(project)
    obj = project.objects.add(media.id, name="x")
    project.prompts.add(obj.id, 0, "point", (3, 4), True)
    project.masks.put(obj.id, 0, encode_rle(np.ones((30, 40), bool)), "clicked")
    project.objects.delete(obj.id)
    assert project.db.conn.execute("SELECT count(*) FROM prompts").fetchone()[0] == 0
    assert project.db.conn.execute("SELECT count(*) FROM masks").fetchone()[0] == 0
    assert not project.media.get(media.id).annotated


def test_prompts_keep_their_order_and_kind(project):
    media = _media(project, kind=MediaKind.VIDEO, frames=10)
    obj = project.objects.add(media.id)
    project.prompts.add(obj.id, 3, "point", (1, 2), True)
    project.prompts.add(obj.id, 3, "box", (0, 0, 9, 9))
    project.prompts.add(obj.id, 3, "point", (5, 6), False)
    project.prompts.add(obj.id, 7, "point", (1, 1), True)
    got = project.prompts.list(obj.id, 3)
    assert [(p.kind, p.coords, p.positive) for p in got] == [
        ("point", (1.0, 2.0), True),
        ("box", (0.0, 0.0, 9.0, 9.0), True),
        ("point", (5.0, 6.0), False),
    ]
    assert project.prompts.frames(obj.id) == [3, 7]
    with pytest.raises(VideoSegError):
        project.prompts.add(obj.id, 3, "box", (1, 2))


def test_a_failed_user_change_leaves_the_database_as_it_was(project):
    media = _media(project, kind=MediaKind.VIDEO, frames=10)
    obj = project.objects.add(media.id)
    good = encode_rle(np.ones((30, 40), bool))
    project.masks.put(obj.id, 0, good, "clicked")
    heard = []
    project.subscribe(heard.append)
    with pytest.raises(ValueError):  # 'bogus' is not a mask source: the batch dies half-way
        project.masks.put_many(
            [MaskWrite(obj.id, 1, good, "propagated"), MaskWrite(obj.id, 2, good, "bogus")]
        )
    assert [f for f, _ in project.masks.frames_of(obj.id)] == [0]
    with pytest.raises(RuntimeError), project.transaction():
        project.labels.add("cat")
        project.objects.add(media.id, name="second")
        raise RuntimeError("crash in the middle of an edit")
    assert project.labels.list() == []
    assert [o.id for o in project.objects.list(media.id)] == [obj.id]
    assert heard == []  # nothing was announced for changes that never committed


def test_nested_failure_rolls_back_only_the_inner_part(project):
    with project.transaction():
        project.labels.add("kept")
        with pytest.raises(VideoSegError), project.transaction():
            project.labels.add("dropped")
            project.labels.add("kept")  # duplicate: fails
    assert [lb.name for lb in project.labels.list()] == ["kept"]


def test_listeners_hear_committed_changes(project):
    heard = []
    project.subscribe(heard.append)
    label = project.labels.add("cat")
    assert heard[-1][0].table == "labels" and heard[-1][0].ids == (label.id,)


def test_undo_helpers_restore_exact_rows(project):
    media = _media(project, kind=MediaKind.VIDEO, frames=10)
    obj = project.objects.add(media.id, name="o")
    rle = encode_rle(np.eye(30, 40, dtype=bool))
    project.masks.put_many([(obj.id, f, rle, "propagated", "tiny") for f in range(5)])
    gone = project.masks.delete_range(obj.id, 1, 4)
    assert [f for f, _ in project.masks.frames_of(obj.id)] == [0, 4]
    project.masks.restore(gone)
    assert [(f, s.value) for f, s in project.masks.frames_of(obj.id)] == [
        (f, "propagated") for f in range(5)
    ]
    prompts = [
        project.prompts.add(obj.id, 2, "point", (1, 1)),
        project.prompts.add(obj.id, 2, "point", (2, 2), False),
    ]
    project.prompts.clear(obj.id, 2)
    project.prompts.restore(prompts)
    assert project.prompts.list(obj.id, 2) == prompts


def test_media_filters_by_label(project):
    a, b = _media(project, "a.png", "s1"), _media(project, "b.png", "s2")
    cat = project.labels.add("cat")
    project.objects.add(b.id, cat.id)
    assert [m.id for m in project.media.list(label_id=cat.id)] == [b.id]
    assert [m.id for m in project.media.list()] == [a.id, b.id]
    with pytest.raises(VideoSegError):
        project.media.list("weird")
