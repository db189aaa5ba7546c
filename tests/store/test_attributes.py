"""Attribute schemas and values: checks, per-frame ranges, provenance and undo helpers."""

import pytest

from tests.helpers.review import add_media
from videoseg_desktop.core.attributes import AttributeKind, parse_value
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.store import Project


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "annie")
    with Project.create(tmp_path / "p") as p:
        yield p


@pytest.fixture
def car(project):
    label = project.labels.add("car")
    video = add_media(project, "v.mp4", frames=100)
    return project.objects.add(video.id, label.id, name="car 1")


def _ranges(project, obj, spec):
    return [(v.frames, v.value) for v in project.attributes.values(obj.id) if v.spec_id == spec.id]


def test_schema_kinds_and_their_checks(project):
    label = project.labels.add("car")
    attrs = project.attributes
    colour = attrs.add_spec(label.id, "colour", "choice", ["red", "blue"])
    size = attrs.add_spec(label.id, "truncation", "number", min_value=0, max_value=1)
    attrs.add_spec(label.id, "note", AttributeKind.TEXT)
    occluded = attrs.add_spec(label.id, "occluded", "bool", per_frame=True)
    assert [s.name for s in attrs.specs(label.id)] == ["colour", "truncation", "note", "occluded"]
    assert colour.choices == ("red", "blue") and occluded.per_frame and size.max_value == 1
    assert colour.author == "annie" and colour.created_at
    assert size.describe() == "number [0..1]"
    for bad, match in [
        (dict(name="x", kind="colour"), "type must be one of"),
        (dict(name="y", kind="choice"), "1 to 100 values"),
        (dict(name="z", kind="bool", choices=["a"]), "only a choice"),
        (dict(name="n", kind="number", min_value=2, max_value=1), "minimum is above"),
        (dict(name="a=b", kind="bool"), "without '='"),
        (dict(name="colour", kind="bool"), "already has an attribute"),
    ]:
        with pytest.raises(VideoSegError, match=match):
            attrs.add_spec(label.id, **bad)
    assert parse_value(occluded, "yes") is True and parse_value(size, "0.25") == 0.25
    with pytest.raises(VideoSegError, match="above the maximum"):
        parse_value(size, "3")
    with pytest.raises(VideoSegError, match="not one of"):
        parse_value(colour, "green")
    with pytest.raises(VideoSegError, match="true or false"):
        parse_value(occluded, "maybe")


def test_per_object_values_with_author_and_undo(project, car):
    spec = project.attributes.add_spec(car.label_id, "colour", "choice", ["red", "blue"])
    change = project.attributes.set_value(car.id, spec, "red")
    assert project.attributes.current(car.id) == {"colour": "red"}
    (value,) = project.attributes.values(car.id)
    assert value.author == "annie" and value.updated_at and value.frames is None
    project.db.user = "bob"
    second = project.attributes.set_value(car.id, spec, "blue")
    assert project.attributes.values(car.id)[0].author == "bob"
    project.attributes.replace(second.after, second.before)  # undo
    assert project.attributes.values(car.id) == change.after
    project.attributes.replace(second.before, second.after)  # redo
    assert project.attributes.current(car.id) == {"colour": "blue"}
    assert project.attributes.set_value(car.id, spec, "blue").after == []  # no change
    with pytest.raises(VideoSegError, match="per object"):
        project.attributes.set_value(car.id, spec, "red", frames=(1, 2))


def test_per_frame_ranges_split_trim_and_merge(project, car):
    spec = project.attributes.add_spec(car.label_id, "occluded", "bool", per_frame=True)
    attrs = project.attributes
    attrs.set_value(car.id, spec, True, (30, 45))
    attrs.set_value(car.id, spec, False, (0, 29))
    attrs.set_value(car.id, spec, False, (40, 50))
    assert _ranges(project, car, spec) == [((0, 29), False), ((30, 39), True), ((40, 50), False)]
    attrs.set_value(car.id, spec, None, (35, 36))  # clear a hole
    attrs.set_value(car.id, spec, True, (40, 44))
    assert _ranges(project, car, spec) == [
        ((0, 29), False),
        ((30, 34), True),
        ((37, 44), True),
        ((45, 50), False),
    ]
    attrs.set_value(car.id, spec, True, (35, 36))  # touching equal ranges merge
    assert _ranges(project, car, spec)[1] == ((30, 44), True)
    assert attrs.current(car.id, 33) == {"occluded": True}
    assert attrs.current(car.id, 70) == {}
    with pytest.raises(VideoSegError, match="say which frames"):
        attrs.set_value(car.id, spec, True)


def test_values_belong_to_the_objects_label(project, car):
    other = project.labels.add("person")
    spec = project.attributes.add_spec(other.id, "walking", "bool")
    with pytest.raises(VideoSegError, match="another label"):
        project.attributes.set_value(car.id, spec, True)


def test_removing_an_attribute_or_label_and_putting_it_back(project, car):
    spec = project.attributes.add_spec(car.label_id, "colour", "text")
    project.attributes.set_value(car.id, spec, "dark green")
    removed, values = project.attributes.remove_spec(car.label_id, "colour")
    assert project.attributes.current(car.id) == {}
    project.attributes.restore_spec(removed, values)
    assert project.attributes.current(car.id) == {"colour": "dark green"}
    kept = project.attributes.values_for_label(car.label_id)
    label = project.labels.by_id(car.label_id)
    specs = project.attributes.specs(label.id)
    project.labels.remove("car")
    assert project.attributes.values(car.id) == []
    project.labels.restore(label)
    for s in specs:
        project.attributes.restore_spec(s)
    project.attributes.restore_values(kept)
    project.objects.set_label(car.id, label.id)
    assert project.attributes.current(car.id) == {"colour": "dark green"}


def test_text_values_are_bounded_and_printable(project, car):
    spec = project.attributes.add_spec(car.label_id, "note", "text")
    with pytest.raises(VideoSegError, match="printable"):
        project.attributes.set_value(car.id, spec, "x" * 1001)
    with pytest.raises(VideoSegError, match="takes text"):
        project.attributes.set_value(car.id, spec, 5)


def test_a_value_or_choices_nested_too_deeply_read_as_one_error(project, car):
    """'[' * 5000 is valid text and a RecursionError for json: a damaged project, one line."""
    from videoseg_desktop.core.errors import ProjectError

    spec = project.attributes.add_spec(car.label_id, "note", "text")
    project.attributes.set_value(car.id, spec, "fine")
    project.db.conn.execute("UPDATE attribute_values SET value = ?", ("[" * 5000,))
    with pytest.raises(ProjectError, match="damaged"):
        project.attributes.values(car.id)
    project.db.conn.execute("UPDATE attribute_specs SET choices = ?", ("[" * 5000,))
    with pytest.raises(ProjectError, match="damaged"):
        project.attributes.specs(car.label_id)
