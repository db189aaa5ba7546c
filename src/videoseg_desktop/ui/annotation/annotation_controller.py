"""Prompt -> request -> result -> store: what clicks on the canvas do.

Gestures become undoable prompt edits at once (the marker shows immediately); the mask is
requested from the inference worker and written to the store when the current answer arrives.
Answers to superseded requests never get here (the client drops them).
"""

from __future__ import annotations

import contextlib
import time

from PySide6.QtCore import QObject, Signal

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.core.review_rules import clamp_score
from videoseg_desktop.ui.canvas.mask_geometry import nearest_prompt
from videoseg_desktop.ui.editing.edit_prompts import click_mask_prompt
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import (
    FrameRef,
    MaskAnswer,
    MaskJob,
    PrecomputeJob,
)
from videoseg_desktop.ui.inference.inference_worker import READY
from videoseg_desktop.ui.project.project_session import NONE, ProjectSession
from videoseg_desktop.ui.project.read_only import READ_ONLY_HINT
from videoseg_desktop.ui.project.undo_commands import (
    AddObjectCommand,
    DeleteObjectCommand,
    PromptChangeCommand,
    push_command,
)

PRECOMPUTE_NEIGHBOURS = 1  # media on each side whose embeddings are prepared ahead


class AnnotationController(QObject):
    maskApplied = Signal(object, float)  # MaskAnswer, seconds from submit to stored
    statusMessage = Signal(str)
    errorOccurred = Signal(str)

    def __init__(self, session: ProjectSession, client: InferenceClient, parent=None):
        super().__init__(parent)
        self.session, self.client = session, client
        self.project = session.project
        # request id -> (slot, command) of every mask request still expected to answer
        self._waiting: dict[int, tuple[tuple, PromptChangeCommand | None]] = {}
        self._retry: dict[tuple, tuple[int, int, PromptChangeCommand | None]] = {}
        # Optional callable(object_id, frame, mask, rle_counts) run before the store write, so
        # the canvas can reuse the mask in memory instead of decoding it again.
        self.mask_hook = None
        # Optional callable(MaskJob) -> MaskJob run before submitting (video corrections).
        self.job_hook = None
        client.maskReady.connect(self._on_mask)
        client.failed.connect(self._on_failed)
        client.stateChanged.connect(self._on_model_state)
        session.mediaChanged.connect(self.precompute_around)
        session.frameChanged.connect(self.precompute_around)

    # -- gestures --------------------------------------------------------------------------
    def add_point(self, point: Point) -> None:
        self._add_prompt("point", (point.x, point.y), point.positive, "Add point")

    def add_box(self, box: Box) -> None:
        b = box.normalized()
        self._add_prompt("box", (b.x0, b.y0, b.x1, b.y1), True, "Add box")

    def _read_only(self) -> bool:
        """A read-only project takes no prompts: say so in the status bar, once per gesture."""
        if self.project.read_only:
            self.statusMessage.emit(READ_ONLY_HINT)
            return True
        return False

    def _add_prompt(self, kind: str, coords: tuple, positive: bool, text: str) -> None:
        session = self.session
        if session.media is None or self._read_only():
            return
        stack = session.undo_stack
        needs_object = session.object_id == NONE or not session.has_object(session.object_id)
        try:
            if needs_object:
                stack.beginMacro(text)
                label = session.label_id if session.label_id != NONE else None
                push_command(session, AddObjectCommand(session, session.media_id, label))
            replaced = []
            if kind == "box":  # SAM takes one box per object: a new box replaces the old one
                replaced = [
                    p
                    for p in self.project.prompts.list(session.object_id, session.frame)
                    if p.kind == "box"
                ]
            push_command(
                session,
                PromptChangeCommand(
                    session,
                    self,
                    session.object_id,
                    session.frame,
                    add=[(kind, coords, positive)],
                    remove=replaced,
                    text=text,
                ),
            )
        except VideoSegError as exc:
            self.errorOccurred.emit(str(exc))
        finally:
            if needs_object:
                stack.endMacro()

    def remove_nearest(self, x: float, y: float, radius: float) -> bool:
        """Right click: remove the prompt nearest to (x, y), preferring the selected object."""
        session = self.session
        if session.media is None or self._read_only():
            return False
        objects = [o.id for o in session.objects()]
        if session.object_id in objects:
            objects = [session.object_id] + [o for o in objects if o != session.object_id]
        for object_id in objects:
            prompt = nearest_prompt(
                self.project.prompts.list(object_id, session.frame), x, y, radius
            )
            if prompt is not None:
                try:
                    push_command(
                        session,
                        PromptChangeCommand(
                            session,
                            self,
                            object_id,
                            session.frame,
                            remove=[prompt],
                            text="Remove prompt",
                        ),
                    )
                except VideoSegError as exc:
                    self.errorOccurred.emit(str(exc))
                return True
        return False

    def new_object(self) -> None:
        self.session.set_object(NONE)
        self.statusMessage.emit("New object: click on it (Ctrl+click excludes, drag for a box)")

    def cancel(self) -> None:
        self.session.set_object(NONE)

    def cycle_object(self, step: int = 1) -> None:
        ids = [o.id for o in self.session.objects()]
        if not ids:
            return
        current = self.session.object_id
        index = ids.index(current) if current in ids else (-1 if step > 0 else 0)
        self.session.set_object(ids[(index + step) % len(ids)])

    def delete_selected(self) -> None:
        if self.session.object_id == NONE or self._read_only():
            return
        try:
            push_command(self.session, DeleteObjectCommand(self.session, self.session.object_id))
        except VideoSegError as exc:
            self.errorOccurred.emit(str(exc))

    # -- requests --------------------------------------------------------------------------
    def request_mask(self, object_id: int, frame: int, command: PromptChangeCommand | None = None):
        """Ask the worker for ``object_id``'s mask on ``frame`` from its stored prompts."""
        obj = self.project.objects.get(object_id)
        media = self.project.media.get(obj.media_id)
        prompts = self.project.prompts.list(object_id, frame)
        points = tuple(
            Point(p.coords[0], p.coords[1], p.positive) for p in prompts if p.kind == "point"
        )
        boxes = [Box(*p.coords) for p in prompts if p.kind == "box"]
        image = None
        if self.session.media_id == media.id and self.session.frame == frame:
            image = self.session.image()
        else:
            image = self._frame_ref(media, frame).read()
        job = MaskJob(
            object_id=object_id,
            media_id=media.id,
            frame=frame,
            key=(media.sha256, frame),
            image=image,
            points=points,
            box=boxes[-1] if boxes else None,
            mask_prompt=click_mask_prompt(self.project, object_id, frame),  # ADR 0003
        )
        if self.job_hook is not None:
            job = self.job_hook(job)
        self._forget(job.slot)
        request_id = self.client.submit(job)
        self._waiting[request_id] = (job.slot, command)
        return request_id

    def supersede(self, object_id: int, frame: int) -> None:
        media_id = self.project.objects.get(object_id).media_id
        slot = ("mask", object_id, media_id, frame)
        self.client.supersede(slot)
        self._forget(slot)

    def is_pending(self, object_id: int, frame: int) -> bool:
        """Whether a mask for this object and frame is still being computed."""
        return any(s[1] == object_id and s[3] == frame for s, _c in self._waiting.values())

    def _forget(self, slot: tuple) -> None:
        for request_id in [r for r, (s, _c) in self._waiting.items() if s == slot]:
            del self._waiting[request_id]

    def pending(self) -> int:
        return len(self._waiting)

    def precompute_around(self, *_args) -> None:
        """Encode the image on screen, then its neighbours, ahead of the first click."""
        media = self.session.media
        if media is None or self.client.state != READY or self.session.moving:
            return
        if self.project.read_only:  # no click can come: the encoder's work would be wasted
            return
        frame = self.session.frame
        try:
            image = self.session.image()
        except VideoSegError:
            return
        self.client.submit(PrecomputeJob(key=(media.sha256, frame), image=image, urgent=True))
        for media_item, neighbour_frame in self._neighbours(media, frame):
            self.client.submit(
                PrecomputeJob(
                    key=(media_item.sha256, neighbour_frame),
                    frame_ref=self._frame_ref(media_item, neighbour_frame),
                )
            )

    def _neighbours(self, media, frame: int) -> list:
        if media.frame_count > 1:  # a video: the next frames are where the user goes next
            last = media.frame_count - 1
            frames = [f for f in (frame + 1, frame - 1) if 0 <= f <= last]
            return [(media, f) for f in frames[: 2 * PRECOMPUTE_NEIGHBOURS]]
        ids = self.session.media_ids()
        if media.id not in ids:
            return []
        index = ids.index(media.id)
        found = []
        for offset in range(1, PRECOMPUTE_NEIGHBOURS + 1):
            for neighbour in (index + offset, index - offset):
                if 0 <= neighbour < len(ids):
                    with contextlib.suppress(VideoSegError):
                        found.append((self.project.media.get(ids[neighbour]), 0))
        return found

    def _frame_ref(self, media, frame: int) -> FrameRef:
        index = self.project.frame_index_path(media) if media.frame_count > 1 else None
        return FrameRef(
            str(self.project.media_path(media)),
            media.kind.value,
            str(index) if index else None,
            frame,
        )

    # -- answers ---------------------------------------------------------------------------
    def detach(self) -> None:
        """Stop listening to the shared client (the project is closing)."""
        self.client.maskReady.disconnect(self._on_mask)
        self.client.failed.disconnect(self._on_failed)
        self.client.stateChanged.disconnect(self._on_model_state)
        self._waiting.clear()

    def _on_mask(self, answer: MaskAnswer) -> None:
        if answer.request_id not in self._waiting:
            return  # another window's request (the client is shared)
        _slot, command = self._waiting.pop(answer.request_id)
        try:
            self.project.objects.get(answer.object_id)
        except VideoSegError:
            return  # deleted while the model was working
        if self.mask_hook is not None:
            self.mask_hook(answer.object_id, answer.frame, answer.mask, answer.rle["counts"])
        try:
            source = MaskSource.EDITED if answer.from_edit else MaskSource.CLICKED
            record = self.project.masks.put(
                answer.object_id,
                answer.frame,
                answer.rle,
                source,
                answer.model_id,
                score=clamp_score(answer.score),  # predicted IoU, or a tracked frame's confidence
            )
        except VideoSegError as exc:
            self.errorOccurred.emit(f"the mask could not be saved: {exc}")
            return
        if command is not None:
            command.mask_computed(record)
        self.maskApplied.emit(answer, time.perf_counter() - answer.submitted_at)

    def _on_failed(self, job, message: str) -> None:
        if not isinstance(job, MaskJob) or job.request_id not in self._waiting:
            return
        _slot, command = self._waiting.pop(job.request_id)
        if self.client.state == READY:
            self.errorOccurred.emit(message)
        else:  # the model could not load: try again once it is ready (download, new file)
            self._retry[job.slot] = (job.object_id, job.frame, command)

    def _on_model_state(self, state: str, detail: str) -> None:
        if state != READY:
            return
        retry, self._retry = self._retry, {}
        for object_id, frame, command in retry.values():
            try:
                if self.project.prompts.list(object_id, frame):
                    self.request_mask(object_id, frame, command)
            except VideoSegError:
                continue
        self.precompute_around()
