"""Video tracking on the inference worker: one streaming ``VideoSession`` per video, kept warm.

The GUI sends what each object is tracked from (``Conditioning``: a stored mask or prompts per
frame); the worker brings its session in line with that (only what changed is fed to the
model, so tracked memory survives a correction) and propagates. Propagation runs in time
slices: after each slice the job puts itself back in the worker's queue, so a click (a
correction) waits at most one slice, and a newer request or the cancel flag stops it between
frames. Every tracked frame leaves the worker at once as plain data (RLE per object).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle, decode_rle, encode_rle
from videoseg_desktop.core.review_rules import confidence_from_logit
from videoseg_desktop.store.tracking_inputs import Conditioning
from videoseg_desktop.ui.inference.inference_jobs import Job, MaskAnswer, MaskJob

log = logging.getLogger(__name__)
SLICE_S = 0.25  # longest stretch of tracking before queued clicks get their turn
KEEP_SESSIONS = 2  # videos whose tracking memory stays open (two windows may track at once)


@dataclass(frozen=True)
class VideoRef:
    """Where the worker reads a video itself, and where its session may spill memory."""

    media_id: int
    path: str
    index_path: str | None
    spill_dir: str | None = None

    @property
    def key(self) -> Hashable:
        return (self.path, self.media_id)


# -- answers --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrackFrameAnswer:
    """One tracked frame: ``masks[object_id]`` is an RLE, or None where the object is absent."""

    request_id: int
    slot: Hashable
    media_id: int
    frame: int
    masks: dict[int, Rle | None]
    done: int
    total: int
    fps: float
    eta_s: float | None
    model_id: str
    scores: dict[int, float] = field(default_factory=dict)  # 0..1 confidence per object


@dataclass(frozen=True)
class TrackDoneAnswer:
    request_id: int
    slot: Hashable
    media_id: int
    frames_done: int
    total: int
    cancelled: bool
    seconds: float


# -- the worker's sessions ------------------------------------------------------------------
class TrackedVideo:
    """A video session plus what has been fed to it, per object and frame."""

    def __init__(self, engine, video: VideoRef):
        from videoseg_desktop.core.records import MediaKind
        from videoseg_desktop.inference.video_session import VideoSession
        from videoseg_desktop.media.frames import open_frames

        self.engine, self.video = engine, video
        index = Path(video.index_path) if video.index_path else None
        self.frames = open_frames(Path(video.path), MediaKind.VIDEO, index)
        try:
            spill = Path(video.spill_dir) if video.spill_dir else None
            self.session = VideoSession.for_engine(engine, self.frames, spill)
        except BaseException:
            self.frames.close()
            raise
        self.applied: dict[int, dict[int, Hashable]] = {}
        self.tracked: dict[int, np.ndarray] = {}  # frames with an output, per object

    def sync(self, objects: dict[int, tuple[Conditioning, ...]], alive: frozenset[int]) -> None:
        """Make the session's prompts match the store's, changing only what differs."""
        session = self.session
        for obj_id in [o for o in session.object_ids if o not in alive]:
            session.remove_object(obj_id)
            self.applied.pop(obj_id, None)
            self.tracked.pop(obj_id, None)
        for obj_id, conditions in objects.items():
            applied = self.applied.setdefault(obj_id, {})
            wanted = {c.frame: c for c in conditions}
            for frame in [f for f in applied if f not in wanted]:
                session.clear_prompts(obj_id, frame)
                del applied[frame]
            for frame, condition in sorted(wanted.items()):
                signature = condition.signature()
                if applied.get(frame) != signature:
                    self._apply(obj_id, condition)
                    applied[frame] = signature

    def _apply(self, obj_id: int, condition: Conditioning) -> None:
        session = self.session
        if condition.mask is not None:
            mask = decode_rle(condition.mask)
            if mask.shape != (session.video_height, session.video_width):
                raise VideoSegError(
                    f"the stored mask on frame {condition.frame} is {mask.shape[1]}x"
                    f"{mask.shape[0]}, the video is {session.video_width}x{session.video_height}"
                )
            session.add_mask(obj_id, condition.frame, mask)
        else:
            session.add_prompts(obj_id, condition.frame, condition.points, condition.box)
        self.mark_tracked(obj_id, condition.frame)

    def mark_tracked(self, obj_id: int, frame: int) -> None:
        flags = self.tracked.get(obj_id)
        if flags is None:
            flags = self.tracked[obj_id] = np.zeros(self.session.num_frames, dtype=bool)
        flags[frame] = True

    def has_output(self, obj_id: int, frame: int) -> bool:
        flags = self.tracked.get(obj_id)
        return flags is not None and 0 <= frame < len(flags) and bool(flags[frame])

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            self.frames.close()


class VideoSessions:
    """The worker's open video sessions (the most recent ``keep``), one per video."""

    def __init__(self, keep: int = KEEP_SESSIONS):
        self.keep = keep
        self._open: OrderedDict[Hashable, TrackedVideo] = OrderedDict()

    @classmethod
    def of(cls, worker) -> VideoSessions:
        sessions = getattr(worker, "video_sessions", None)
        if sessions is None:
            sessions = worker.video_sessions = cls()
        return sessions

    def get(self, engine, video: VideoRef) -> TrackedVideo:
        tracked = self.peek(engine, video)
        if tracked is None:
            tracked = TrackedVideo(engine, video)
            self._open[video.key] = tracked
            while len(self._open) > self.keep:
                _, old = self._open.popitem(last=False)
                old.close()
        self._open.move_to_end(video.key)
        return tracked

    def peek(self, engine, video: VideoRef) -> TrackedVideo | None:
        """The open session of ``video`` if it was made by ``engine`` (None otherwise)."""
        tracked = self._open.get(video.key)
        if tracked is not None and tracked.engine is not engine:
            self.close(video.key)  # another model was loaded since: its memory is useless
            return None
        return tracked

    def close(self, key: Hashable | None = None, spill_dir: str | None = None) -> int:
        """Close one session (``key``), those of one project (``spill_dir``), or all of them."""
        if key is not None:
            keys = [key]
        else:
            keys = [k for k, t in self._open.items() if spill_dir in (None, t.video.spill_dir)]
        closed = 0
        for k in keys:
            tracked = self._open.pop(k, None)
            if tracked is not None:
                tracked.close()
                closed += 1
        return closed

    def __len__(self) -> int:
        return len(self._open)


# -- jobs -----------------------------------------------------------------------------------
@dataclass
class TrackJob(Job):
    """Propagate objects through a video from ``start``; streams ``TrackFrameAnswer``s."""

    priority: ClassVar[int] = 2  # after clicks, before precomputing neighbours
    video: VideoRef | None = None
    objects: dict[int, tuple[Conditioning, ...]] = field(default_factory=dict)
    alive: frozenset[int] = frozenset()  # every object of the video (others leave the session)
    start: int = 0
    direction: str = "forward"
    end: int | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    slice_s: float = SLICE_S
    # Progress across slices (the job object travels back into the queue).
    _passes: list[list[int]] | None = field(default=None, init=False)  # [next, last, step]
    _done: int = field(default=0, init=False)
    _total: int = field(default=0, init=False)
    _began: float = field(default=0.0, init=False)

    @property
    def slot(self) -> Hashable:
        return ("track", self.video.key)

    def run(self, worker) -> TrackDoneAnswer | None:
        from videoseg_desktop.inference.video_results import plan_passes, progress_after

        engine = worker.engine
        sessions = VideoSessions.of(worker)
        if self._passes is not None:  # a continuation
            tracked = sessions.peek(engine, self.video)
            if self.cancel.is_set() or tracked is None:  # cancelled, or closed meanwhile
                return self._finish(True)
        else:
            tracked = sessions.get(engine, self.video)
        if self._passes is None:
            self._began = time.monotonic()
            if not self.objects:
                raise VideoSegError("add a prompt to an object before tracking")
            tracked.sync(self.objects, self.alive)
            passes = plan_passes(self.start, self.direction, self.end, tracked.session.num_frames)
            self._passes = [
                [order[0], order[-1], -1 if reverse else 1] for reverse, order in passes if order
            ]
            self._total = sum(abs(last - first) + 1 for first, last, _ in self._passes)
        slice_end = time.monotonic() + self.slice_s
        model_id = engine.model_id

        def on_frame(result) -> None:
            self._done += 1
            progress = progress_after(self._done, self._total, time.monotonic() - self._began)
            masks = {}
            for obj_id, mask in result.masks.items():
                tracked.mark_tracked(obj_id, result.frame)
                masks[obj_id] = encode_rle(mask) if mask.any() else None
            scores = {o: confidence_from_logit(s) for o, s in result.object_scores.items()}
            worker.answered.emit(
                TrackFrameAnswer(
                    self.request_id, self.slot, self.video.media_id, result.frame, masks,
                    progress.done, progress.total, progress.fps, progress.eta_s, model_id,
                    scores,
                )
            )  # fmt: skip

        while self._passes:
            first, last, step = self._passes[0]
            direction = "forward" if step > 0 else "backward"

            def stop_now(first=first, step=step, done_before=self._done) -> bool:
                if self.cancel.is_set():
                    return True
                if self._done == done_before or time.monotonic() < slice_end:
                    return False  # every slice tracks at least one frame
                # A backward pass can never start at frame 0 (sam2), so none may end at 1.
                return not (step < 0 and first + step * (self._done - done_before) == 0)

            outcome = tracked.session.propagate(
                first, direction, last, list(self.objects), on_frame=on_frame, cancel=stop_now
            )
            self._passes[0][0] = first + step * outcome.frames_done
            if not outcome.cancelled:
                self._passes.pop(0)
            if self.cancel.is_set():
                return self._finish(True)
            if self._passes and time.monotonic() >= slice_end:
                worker.submit(self)  # the rest after whatever clicks are waiting
                return None
        return self._finish(False)

    def _finish(self, cancelled: bool) -> TrackDoneAnswer:
        return TrackDoneAnswer(
            self.request_id, self.slot, self.video.media_id, self._done, self._total,
            cancelled, time.monotonic() - self._began,
        )  # fmt: skip


@dataclass
class VideoCorrectionJob(MaskJob):
    """A click on a video frame: on a frame the worker has tracked, a SAM 2 correction.

    On a tracked frame the video session refines the tracked mask with the frame's prompts
    (sam2 feeds the previous mask logits with the clicks) and makes the frame a conditioning
    frame; elsewhere a propagated mask stored there (``prior_mask``) is refined by the image
    model; a hand-edited mask keeps the studio's rule (docs/adr/0003).
    """

    video: VideoRef | None = None
    prior_mask: np.ndarray | None = None

    def run(self, worker) -> MaskAnswer:
        if self.mask_prompt is None and (self.points or self.box is not None):
            sessions = VideoSessions.of(worker)
            tracked = sessions.peek(worker.engine, self.video)
            if tracked is not None and tracked.has_output(self.object_id, self.frame):
                return self._correct(worker, tracked)
            if self.prior_mask is not None:
                return self._refine_prior(worker)
        return super().run(worker)

    def _correct(self, worker, tracked: TrackedVideo) -> MaskAnswer:
        start = time.perf_counter()
        result = tracked.session.add_prompts(self.object_id, self.frame, self.points, self.box)
        # Not what the store will hold: the next tracking feeds the stored mask instead.
        tracked.applied.setdefault(self.object_id, {})[self.frame] = ("correction",)
        mask = result.masks[self.object_id]
        score = confidence_from_logit(result.object_scores[self.object_id])
        return self._answer(worker, mask, score, time.perf_counter() - start, 0.0)

    def _refine_prior(self, worker) -> MaskAnswer:
        session = worker.engine.image_session()
        result = session.predict(
            self.key, self.image, self.points, self.box, mask_prompt=self.prior_mask
        )
        return self._answer(worker, result.mask, result.score, result.elapsed_s, result.encode_s)

    def _answer(self, worker, mask, score: float, engine_s: float, encode_s: float):
        return MaskAnswer(
            request_id=self.request_id,
            slot=self.slot,
            object_id=self.object_id,
            media_id=self.media_id,
            frame=self.frame,
            mask=mask,
            rle=encode_rle(mask),
            score=float(score),
            engine_s=engine_s,
            encode_s=encode_s,
            model_id=worker.engine.model_id,
            submitted_at=self.submitted_at,
        )


@dataclass
class CloseVideosJob(Job):
    """Release the worker's video sessions (a project closed): files, memory, spill space."""

    priority: ClassVar[int] = 0
    needs_engine: ClassVar[bool] = False
    spill_dir: str | None = None  # a project's tracking folder; None: every session

    def run(self, worker) -> None:
        VideoSessions.of(worker).close(spill_dir=self.spill_dir)
        return None
