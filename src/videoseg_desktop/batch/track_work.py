"""The worker side of `videoseg track --all`: SAM 2.1 tracking of one video's objects.

Runs wherever the worker runs (this process, or a Ray actor on a GPU node); imports torch only
through inference/, and only when the first task loads the model. The result is plain data:
per tracked frame, each object's RLE (None where the object is gone) and its object score logit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from videoseg_desktop.batch.executor import BaseWorker
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle, decode_rle, encode_rle
from videoseg_desktop.store.tracking_inputs import Conditioning


@dataclass(frozen=True)
class TrackPayload:
    """What to track in one video: each object's conditioning frames, grouped by start frame."""

    objects: tuple[tuple[int, tuple[Conditioning, ...]], ...]  # (object id, conditioning)
    starts: tuple[tuple[int, tuple[int, ...]], ...]  # (start frame, object ids)
    direction: str
    kept: tuple[tuple[int, frozenset[int]], ...] = ()  # frames not to encode (never stored)


@dataclass(frozen=True)
class TrackedFrame:
    frame: int
    rles: dict[int, Rle | None]  # object id -> mask (None: empty), kept frames left out
    logits: dict[int, float]  # object id -> object score logit
    kept: tuple[int, ...] = ()  # objects whose mask on this frame is a kept one


@dataclass(frozen=True)
class TrackResult:
    frames: list[TrackedFrame]
    frames_done: int
    cpu_s: float = 0.0  # the worker's CPU time for the task (how busy a cluster's workers are)


@dataclass(frozen=True)
class ModelChoice:
    """The SAM 2.1 model every worker loads (named, or a checkpoint path the workers can read)."""

    model: str
    checkpoint: str | None
    image_size: int
    device: str | None
    precision: str


class Sam2Worker(BaseWorker):
    """A worker whose model is the SAM 2.1 engine of ``choice`` (tracking, boxes to masks)."""

    def __init__(self, choice: ModelChoice) -> None:
        super().__init__()
        self.choice = choice

    def load(self):
        from videoseg_desktop.inference.engine import SamEngine

        c = self.choice
        return SamEngine.load(
            model=c.model,
            checkpoint=c.checkpoint,
            image_size=c.image_size,
            device=c.device,
            precision=c.precision,
        )


class TrackWorker(Sam2Worker):
    def compute(self, frames, payload: TrackPayload) -> TrackResult:
        from videoseg_desktop.inference.video_session import VideoSession

        began = time.process_time()
        engine = self.model()
        kept = dict(payload.kept)
        out: list[TrackedFrame] = []

        def on_frame(result) -> None:
            rles, logits, skip = {}, {}, []
            for obj_id, mask in result.masks.items():
                if result.frame in kept.get(obj_id, ()):
                    skip.append(obj_id)
                    continue
                rles[obj_id] = encode_rle(mask) if mask.any() else None
                if obj_id in result.object_scores:
                    logits[obj_id] = float(result.object_scores[obj_id])
            out.append(TrackedFrame(result.frame, rles, logits, tuple(skip)))

        done = 0
        spill = self.scratch() / "tracking"
        with VideoSession.for_engine(engine, frames, spill) as session:
            for obj_id, cond in payload.objects:
                for entry in cond:
                    add_conditioning(session, obj_id, entry)
            passes, span = len(payload.starts), len(frames)
            for n, (start, obj_ids) in enumerate(payload.starts):

                def on_progress(p, n=n) -> None:  # each start's pass counts as the video once
                    self.report(n * span + round(p.done * span / max(p.total, 1)), passes * span)

                outcome = session.propagate(
                    start,
                    payload.direction,
                    None,
                    list(obj_ids),
                    on_frame=on_frame,
                    on_progress=on_progress,
                )
                done += outcome.frames_done
        return TrackResult(out, done, time.process_time() - began)


def add_conditioning(session, obj_id: int, entry: Conditioning, name: str | None = None) -> None:
    """An object's stored mask (or, without one, its prompts) on one frame, into ``session``."""
    frame = entry.frame
    if entry.mask is None:
        session.add_prompts(obj_id, frame, list(entry.points), entry.box)
        return
    mask = decode_rle(entry.mask)
    if mask.shape != (session.video_height, session.video_width):
        raise VideoSegError(
            f"the stored mask of {name or f'object {obj_id}'!r} on frame {frame} is "
            f"{mask.shape[1]}x{mask.shape[0]}, the video is "
            f"{session.video_width}x{session.video_height}"
        )
    session.add_mask(obj_id, frame, mask)
