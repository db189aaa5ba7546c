"""Attributes and scores through COCO and YouTube-VIS: import, export, import, equal; and the
checks on what an annotation file may hold."""

import json

import pytest

from tests.export.conftest import project_state
from videoseg_desktop.core.errors import ExportError, VideoSegError
from videoseg_desktop.export import export_coco, export_ytvis, import_annotations
from videoseg_desktop.store import Project


def _fresh_copy(project, tmp_path, name):
    fresh = Project.create(tmp_path / name)
    fresh.import_media([project.media_path(m) for m in project.media.list()])
    return fresh


def _attribute_state(project) -> dict:
    """Schemas by label name, and per object (media, label, n-th) its values, scores, sources."""
    labels = {lb.id: lb.name for lb in project.labels.list()}
    specs = {s.id: s for s in project.attributes.specs()}
    state = {
        "specs": sorted(
            (
                labels[s.label_id],
                s.name,
                s.kind.value,
                s.choices,
                s.min_value,
                s.max_value,
                s.per_frame,
            )
            for s in specs.values()
        ),  # fmt: skip
        "objects": {},
    }
    for item in project.media.list():
        seen: dict = {}
        for obj in project.objects.list(item.id):
            label = labels.get(obj.label_id)
            n = seen[label] = seen.get(label, 0) + 1
            values = sorted(
                (specs[v.spec_id].name, v.frames, v.value)
                for v in project.attributes.values(obj.id)
            )
            scores = [(r.frame, r.score) for r in project.masks.for_object(obj.id)]
            state["objects"][(item.original_name, label, n)] = (values, scores)
    return state


def _annotations(path):
    data = json.loads((path / "annotations.json").read_text())
    return [(a.get("attributes"), a.get("score"), a.get("scores")) for a in data["annotations"]], [
        c.get("attribute_specs") for c in data["categories"]
    ]


@pytest.fixture
def image_attrs(image_project):
    p = image_project
    cat = p.labels.get("cat")
    colour = p.attributes.add_spec(cat.id, "colour", "choice", ["black", "tabby"])
    weight = p.attributes.add_spec(cat.id, "weight", "number", min_value=0, max_value=20)
    p.attributes.add_spec(cat.id, "note", "text")
    sleeping = p.attributes.add_spec(cat.id, "sleeping", "bool", per_frame=True)
    items = p.media.list()
    first, second = (p.objects.list(items[n].id)[0] for n in (0, 1))
    p.attributes.set_value(first.id, colour, "tabby")
    p.attributes.set_value(first.id, weight, 4.5)
    p.attributes.set_value(first.id, sleeping, True, (0, 0))
    p.attributes.set_value(second.id, colour, "black")
    rec = p.masks.get(first.id, 0)
    p.masks.put(first.id, 0, rec.rle, rec.source, "tiny", score=0.8125)
    return p


def test_coco_attributes_and_scores_round_trip(image_attrs, tmp_path):
    first_export = export_coco(image_attrs, out_dir=tmp_path / "a")
    anns, cats = _annotations(first_export.path)
    assert {"colour": "tabby", "weight": 4.5, "sleeping": True} in [a for a, _, _ in anns]
    assert 0.8125 in [s for _, s, _ in anns]
    assert cats[0] and cats[0][0] == {
        "name": "colour", "type": "choice", "per_frame": False, "choices": ["black", "tabby"]
    }  # fmt: skip
    one = _fresh_copy(image_attrs, tmp_path, "one")
    summary = import_annotations(one, "coco", first_export.path)
    assert summary.attributes == 4 and "cat.colour" in summary.attributes_created
    second_export = export_coco(one, out_dir=tmp_path / "b")
    two = _fresh_copy(image_attrs, tmp_path, "two")
    import_annotations(two, "coco", second_export.path)
    assert _attribute_state(one) == _attribute_state(two)
    assert _annotations(first_export.path) == _annotations(second_export.path)
    original = _attribute_state(image_attrs)
    assert original["specs"] == _attribute_state(one)["specs"]
    cat_values = {k: v[0] for k, v in original["objects"].items() if k[1] == "cat"}
    assert cat_values == {k: v[0] for k, v in _attribute_state(one)["objects"].items()
                          if k[1] == "cat"}  # fmt: skip


@pytest.fixture
def video_attrs(video_project):
    p = video_project
    car = p.labels.get("car")
    occluded = p.attributes.add_spec(car.id, "occluded", "bool", per_frame=True)
    colour = p.attributes.add_spec(car.id, "colour", "text")
    p.attributes.set_value(p.car.id, occluded, True, (2, 4))
    p.attributes.set_value(p.car.id, occluded, False, (5, 9))  # also where the car is absent
    p.attributes.set_value(p.car.id, colour, "red")
    for rec in list(p.masks.for_object(p.car.id))[:5]:
        p.masks.put(p.car.id, rec.frame, rec.rle, rec.source, "tiny", score=0.5 + rec.frame / 20)
    return p


def test_ytvis_per_frame_attributes_and_scores_round_trip(video_attrs, tmp_path):
    first_export = export_ytvis(video_attrs, out_dir=tmp_path / "a")
    anns, _ = _annotations(first_export.path)
    car_attrs, _, car_scores = anns[0]
    assert car_attrs == {
        "occluded": [None, None, True, True, True, False, False, False, False, False],
        "colour": "red",
    }
    assert car_scores == [0.5, 0.55, 0.6, 0.65, 0.7, None, None, None, None, None]
    one = _fresh_copy(video_attrs, tmp_path, "one")
    import_annotations(one, "ytvis", first_export.path)
    second_export = export_ytvis(one, out_dir=tmp_path / "b")
    two = _fresh_copy(video_attrs, tmp_path, "two")
    import_annotations(two, "ytvis", second_export.path)
    assert _attribute_state(one) == _attribute_state(two)
    assert _annotations(first_export.path) == _annotations(second_export.path)
    values, scores = _attribute_state(one)["objects"][("clip.mp4", "car", 1)]
    assert values == [
        ("colour", None, "red"),
        ("occluded", (2, 4), True),
        ("occluded", (5, 9), False),
    ]
    assert scores[:2] == [(0, 0.5), (1, 0.55)]


def test_values_are_checked_against_the_projects_schema(image_attrs, tmp_path):
    export = export_coco(image_attrs, out_dir=tmp_path / "a")
    target = _fresh_copy(image_attrs, tmp_path, "t")
    cat = target.labels.add("cat")
    target.attributes.add_spec(cat.id, "weight", "number", min_value=0, max_value=2)
    before = project_state(target)
    with pytest.raises(VideoSegError, match="above the maximum 2"):
        import_annotations(target, "coco", export.path)
    assert project_state(target) == before and target.attributes.values(1) == []


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda a, c: a.update(score=1.5), "within 0 and 1"),
        (lambda a, c: a.update(score="high"), "must be a number"),
        (lambda a, c: a.update(attributes=[1]), "'attributes' must be an object"),
        (lambda a, c: a.update(attributes={"a=b": 1}), "without '='"),
        (lambda a, c: a.update(attributes={"x": [1, 2]}), "is a list"),
        (lambda a, c: a.update(attributes={"x": {"y": 1}}), "finite number or text"),
        (lambda a, c: c.update(attribute_specs=[{"name": "x", "type": "colour"}]), "type must"),
        (lambda a, c: c.update(attribute_specs=[{"name": "x", "type": "choice"}]), "1 to 100"),
    ],
)
def test_hostile_entries_are_refused_with_nothing_changed(image_attrs, tmp_path, change, match):
    export = export_coco(image_attrs, out_dir=tmp_path / "a")
    data = json.loads((export.path / "annotations.json").read_text())
    change(data["annotations"][0], data["categories"][0])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    target = _fresh_copy(image_attrs, tmp_path, "t")
    before = project_state(target)
    with pytest.raises(ExportError, match=match):
        import_annotations(target, "coco", bad)
    assert project_state(target) == before


def test_attributes_without_a_schema_get_one_inferred(image_attrs, tmp_path):
    export = export_coco(image_attrs, out_dir=tmp_path / "a")
    data = json.loads((export.path / "annotations.json").read_text())
    for cat in data["categories"]:
        cat.pop("attribute_specs", None)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(data))
    target = _fresh_copy(image_attrs, tmp_path, "t")
    import_annotations(target, "coco", plain)
    kinds = {s.name: (s.kind.value, s.per_frame) for s in target.attributes.specs()}
    assert kinds == {
        "colour": ("text", False),
        "weight": ("number", False),
        "sleeping": ("bool", False),
    }


def test_export_takes_only_items_in_the_asked_state(image_attrs, tmp_path):
    items = image_attrs.media.list()
    image_attrs.review.set_status([items[0].id], "reviewed")
    image_attrs.review.set_status([items[1].id], "done")
    reviewed = export_coco(image_attrs, out_dir=tmp_path / "r", status="reviewed")
    done = export_coco(image_attrs, out_dir=tmp_path / "d", status="done")
    assert (reviewed.images, done.images) == (1, 2)
    assert any("not reviewed were left out" in w for w in reviewed.warnings)
    with pytest.raises(ExportError, match="unknown status"):
        export_coco(image_attrs, status="finished")
