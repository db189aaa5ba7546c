"""Attribute values read from an annotation file, written onto imported objects.

The schema comes from the project when the label already has the attribute, else from the
file's ``attribute_specs`` (what our exports write), else it is inferred from the value (bool,
number or text; a per-frame list makes a per-frame attribute). Every value is then checked
against that schema; one bad value and the whole import is refused (it is one transaction).
"""

from __future__ import annotations

from videoseg_desktop.core.attributes import AttributeSpec, AttributeValue, check_value, infer_kind
from videoseg_desktop.core.errors import ExportError, VideoSegError


class AttributeImporter:
    def __init__(self, project, file_specs: dict[str, list[tuple]]):
        self.project = project
        self.file_specs = {
            category: {spec[0]: spec for spec in specs} for category, specs in file_specs.items()
        }
        self.created: list[str] = []
        self.values = 0

    def apply(
        self,
        object_id: int,
        label_id: int,
        category: str,
        attributes: dict | None,
        length: int,
        where: str,
    ) -> None:
        """Set ``attributes`` (name -> value, or per-frame list of ``length``) on an object."""
        if not attributes:
            return
        rows: list[AttributeValue] = []
        for name, value in attributes.items():
            spec = self._spec(label_id, category, name, value, where)
            try:
                rows += _rows(object_id, spec, value, length)
            except VideoSegError as exc:
                raise ExportError(f"{where}: {exc}") from None
        self.project.attributes.add_values(rows)
        self.values += len(rows)

    def add_declared(self, label_id: int, category: str) -> None:
        """The file's whole schema of a category the import used, values or not."""
        for name in self.file_specs.get(category, {}):
            if self.project.attributes.spec(label_id, name) is None:
                self._create(label_id, category, *self.file_specs[category][name])

    def _spec(self, label_id: int, category: str, name: str, value, where: str) -> AttributeSpec:
        spec = self.project.attributes.spec(label_id, name)
        if spec is not None:
            return spec
        declared = self.file_specs.get(category, {}).get(name)
        if declared is not None:
            _, kind, choices, low, high, per_frame = declared
        else:
            sample = (
                next((v for v in value if v is not None), None)
                if isinstance(value, list)
                else value
            )
            if sample is None:
                raise ExportError(f"{where}: attribute {name!r} has no value to tell its type")
            kind, choices, low, high = infer_kind(sample), (), None, None
            per_frame = isinstance(value, list)
        return self._create(label_id, category, name, kind, choices, low, high, per_frame)

    def _create(
        self, label_id, category, name, kind, choices, low, high, per_frame
    ) -> AttributeSpec:
        spec = self.project.attributes.add_spec(label_id, name, kind, choices, low, high, per_frame)
        self.created.append(f"{category}.{name}")
        return spec


def _rows(object_id: int, spec: AttributeSpec, value, length: int) -> list[AttributeValue]:
    if not isinstance(value, list):
        frames = (0, max(length, 1) - 1) if spec.per_frame else None
        return [AttributeValue(0, object_id, spec.id, frames, check_value(spec, value))]
    if not spec.per_frame:
        raise VideoSegError(f"attribute {spec.name!r} is per object, the file has one per frame")
    checked = [None if v is None else check_value(spec, v) for v in value]
    rows: list[AttributeValue] = []
    start = None
    for frame, v in enumerate([*checked, None]):  # checked values of one spec share a type
        if start is not None and (v is None or v != checked[start]):
            rows.append(AttributeValue(0, object_id, spec.id, (start, frame - 1), checked[start]))
            start = None
        if v is not None and start is None:
            start = frame
    return rows
