"""Attribute edits on the undo stack: a label's schema (add, remove) and an object's values.

The store hands back what each change replaced (``AttributeChange``, or the removed spec with
its values), so undo and redo are one store call each.
"""

from __future__ import annotations

from videoseg_desktop.core.attributes import AttributeSpec
from videoseg_desktop.store.attributes import AttributeChange
from videoseg_desktop.ui.project.undo_commands import StoreCommand


class AddAttributeSpecCommand(StoreCommand):
    def __init__(self, session, label_id: int, name: str, kind: str, **options):
        super().__init__(session, f"Add attribute {name}")
        self.label_id, self.name, self.kind, self.options = label_id, name, kind, options
        self.spec: AttributeSpec | None = None

    def do(self) -> None:
        if self.spec is None:
            self.spec = self.project.attributes.add_spec(
                self.label_id, self.name, self.kind, **self.options
            )
        else:
            self.project.attributes.restore_spec(self.spec)

    def revert(self) -> None:
        self.project.attributes.remove_spec(self.spec.label_id, self.spec.name)


class RemoveAttributeSpecCommand(StoreCommand):
    def __init__(self, session, label_id: int, name: str):
        super().__init__(session, f"Remove attribute {name}")
        self.label_id, self.name = label_id, name
        self.removed = None

    def do(self) -> None:
        self.removed = self.project.attributes.remove_spec(self.label_id, self.name)

    def revert(self) -> None:
        spec, values = self.removed
        self.project.attributes.restore_spec(spec, values)


class SetAttributeCommand(StoreCommand):
    def __init__(
        self,
        session,
        object_id: int,
        spec: AttributeSpec,
        value: object,
        frames: tuple[int, int] | None = None,
    ):
        frame = frames[0] if frames else None
        super().__init__(session, f"Set {spec.name}", session.media_id, frame)
        self.object_id, self.spec, self.value, self.frames = object_id, spec, value, frames
        self.change: AttributeChange | None = None

    def do(self) -> None:
        if self.change is None:
            self.change = self.project.attributes.set_value(
                self.object_id, self.spec, self.value, self.frames
            )
        else:
            self.project.attributes.replace(self.change.before, self.change.after)

    def revert(self) -> None:
        self.project.attributes.replace(self.change.after, self.change.before)
