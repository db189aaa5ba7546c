"""The browser's id lists (``ids_where``) against the records ``list`` returns, for every filter,
and the counting queries of a million-mask project answered from indexes (ADR 0015)."""

import numpy as np
import pytest

from tests.helpers.review import add_media, put_track
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskSource, MediaKind, MediaStatus, ObjectState
from videoseg_desktop.store import Project


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "annie")
    with Project.create(tmp_path / "p") as p:
        yield p


def _mixed(project):
    cat, dog = project.labels.add("cat"), project.labels.add("dog")
    media = [add_media(project, f"m{i}.png", MediaKind.IMAGE, 1) for i in range(12)]
    for i, m in enumerate(media):
        if i % 3 == 0:
            continue  # not annotated
        label = cat if i % 2 else dog
        for k in range(1 + i % 3):  # several objects of one label: one id, listed once
            obj = project.objects.add(m.id, label.id, name=f"o{k}")
            put_track(project, obj.id, [0], score=0.3 if i == 4 else 0.95)
        if i % 4 == 1:
            project.objects.add(m.id, cat.id, name="s", state=ObjectState.SUGGESTED)
    project.review.set_status([media[5].id, media[7].id], MediaStatus.DONE)
    project.media.delete(media[8].id)  # a gap in the ids
    return cat, dog


def test_ids_where_lists_what_list_lists_for_every_filter(project):
    cat, dog = _mixed(project)
    cases = [
        dict(filter=f, label_id=lb, status=st)
        for f in ("all", "annotated", "unannotated", "flagged")
        for lb in (None, cat.id, dog.id, 999)
        for st in (None, MediaStatus.DONE, "todo")
    ]
    for case in cases:
        ids = project.media.ids_where(**case)
        assert ids.dtype == np.int64
        assert ids.tolist() == [m.id for m in project.media.list(**case)], case
    assert project.media.ids_where("annotated").size > 0
    assert project.media.ids_where(label_id=cat.id).size > 0
    assert project.media.ids_where(label_id=999).size == 0
    with pytest.raises(VideoSegError, match="unknown media filter"):
        project.media.ids_where("weird")


def test_an_empty_project_lists_no_ids(project):
    assert project.media.ids_where().tolist() == []
    assert project.media.ids_where("flagged").tolist() == []


def test_counts_of_a_large_project_read_indexes_not_tables(project):
    _mixed(project)
    conn = project.db.conn
    for sql in (
        "SELECT source, count(*) FROM masks GROUP BY source",
        "SELECT count(*) FROM masks WHERE source = 'auto' AND accepted_at IS NOT NULL",
        "SELECT state, count(*) FROM objects GROUP BY state",
        "SELECT media_id, count(*) FROM objects WHERE state = 'suggested' GROUP BY media_id",
        "SELECT group_concat(id) FROM media WHERE annotated = 1",
        "SELECT annotated, kind, count(*) FROM media GROUP BY annotated, kind",
        "SELECT group_concat(media_id) FROM objects WHERE label_id = 1",
    ):
        plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "COVERING INDEX" in plan, (sql, plan)
    breakdown = project.objects.breakdown()
    assert breakdown["objects_by_state"]["suggested"] == 2
    assert breakdown["masks_by_source"][MaskSource.PROPAGATED.value] == sum(
        breakdown["masks_by_source"].values()
    )
    assert sum(project.review.suggested_counts().values()) == 2


def test_media_counts_from_the_index_equal_a_count_of_the_rows(project):
    _mixed(project)
    add_media(project, "v.mp4")  # a video, not annotated
    rows = project.media.list()
    assert project.media.counts() == {
        "media": len(rows),
        "annotated": sum(m.annotated for m in rows),
        "videos": sum(m.kind is MediaKind.VIDEO for m in rows),
        "images": sum(m.kind is MediaKind.IMAGE for m in rows),
    }
    assert project.media.counts()["videos"] == 1
