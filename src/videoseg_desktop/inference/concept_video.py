"""Tracking every instance of a concept (SAM 3) through a video, in memory flat in its length.

``ConceptVideoSession`` drives transformers' unmodified ``Sam3VideoModel`` one frame at a time,
exactly as its ``propagate_in_video_iterator`` does (same calls, same hot-start buffering, same
``Sam3VideoProcessor.postprocess_outputs``), on a ``Sam3VideoInferenceSession`` whose storage is
ours:

- frames come from a ``FrameFeed`` that decodes and preprocesses frame ``i`` (with the
  processor's own video processor) when the model asks, instead of a preloaded video tensor;
- between frames, ``ConceptMemory`` keeps only the tracker memory that the frames still to be
  tracked will read (see ``concept_memory.py``): recent outputs in RAM, what only the backward
  pass of "both" reads spilled to disk bit for bit, the rest dropped;
- during each frame, the tracker steps the tracked instances in batches instead of one call
  per object (``concept_batch.py``; equal to transformers' per-object step within rounding).

Instances found on a frame get new ids counting up, as in transformers. Results stream out frame
by frame as plain data (``ConceptFrameResult``: RLE, scores, boxes); storing them is the
caller's job. A session tracks once (forward, backward or both from one frame): the pruning
plan is made for that run. Use it from one thread; ``cancel`` may be set from any thread.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from videoseg_desktop.core.concepts import ConceptFrameResult, FoundInstance
from videoseg_desktop.core.errors import ModelError, VideoSegError
from videoseg_desktop.inference.concept_batch import BatchedTracker
from videoseg_desktop.inference.concept_memory import ConceptMemory, TensorSpill
from videoseg_desktop.inference.device import inference_context
from videoseg_desktop.inference.frame_feed import FrameFeed, FrameSource
from videoseg_desktop.inference.postprocess import PostProcessing
from videoseg_desktop.inference.video_results import (
    DIRECTIONS,
    Progress,
    PropagationOutcome,
    cancel_check,
    progress_after,
)


def concept_passes(
    start: int, direction: str, end_frame: int | None, num_frames: int
) -> list[tuple[bool, range]]:
    """The (reverse, frames) passes of a concept run, as transformers' iterator orders them.

    Forward from ``start`` includes it; "backward" alone includes it too; the backward half of
    "both" starts one frame before ``start`` (transformers' reverse pass excludes its start).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if not 0 <= start < num_frames:
        raise VideoSegError(f"frame {start} is outside the video (0..{num_frames - 1})")
    if end_frame is not None:
        if direction == "both":
            raise ValueError("end_frame needs a single direction")
        if not 0 <= end_frame < num_frames:
            raise VideoSegError(f"frame {end_frame} is outside the video (0..{num_frames - 1})")
        if (end_frame < start) if direction == "forward" else (end_frame > start):
            raise VideoSegError(f"frame {end_frame} is not {direction} of frame {start}")
    passes = []
    if direction in ("forward", "both"):
        last = num_frames - 1 if end_frame is None else end_frame
        passes.append((False, range(start, last + 1)))
    if direction == "backward":
        first = 0 if end_frame is None else end_frame
        passes.append((True, range(start, first - 1, -1)))
    elif direction == "both" and start > 0:
        passes.append((True, range(start - 1, -1, -1)))
    return passes


class ConceptVideoSession:
    """All instances of one or more text concepts, tracked through one video.

    ``model`` is a ``Sam3VideoModel``, ``processor`` its ``Sam3VideoProcessor``. ``spill_dir``
    is where memory read only by a later pass goes (a private subfolder, deleted by ``close``);
    None uses the system's temporary folder. ``prune=False`` keeps everything, as transformers
    does (benchmarks). ``postprocessing`` cleans the masks handed out (None: none, as
    transformers). ``compute_context`` wraps model calls (autocast), ``model_lock`` is held
    during each frame. ``batch_objects`` runs the tracked instances of a frame through the
    tracker in batches (``concept_batch.py``); False keeps transformers' one call per object.
    """

    def __init__(
        self,
        model: Any,
        processor: Any,
        frames: FrameSource,
        spill_dir: Path | None = None,
        *,
        device: str = "cpu",
        dtype: Any = None,
        cache_frames: int = 4,
        prune: bool = True,
        postprocessing: PostProcessing | None = None,
        compute_context: Callable[[], contextlib.AbstractContextManager] | None = None,
        model_lock: threading.RLock | None = None,
        batch_objects: bool = True,
    ) -> None:
        import torch
        from transformers.models.sam3_video.modeling_sam3_video import (
            Sam3VideoInferenceSession,
        )

        self.model = model
        self.processor = processor
        self.device = device
        self.dtype = dtype if dtype is not None else torch.float32
        self.postprocessing = postprocessing
        self._compute_context = compute_context
        self._model_lock = model_lock
        video_processor = processor.video_processor
        self.feed = FrameFeed(
            frames,
            int(processor.target_size),
            cache_frames,
            preprocess=lambda rgb: _preprocess(video_processor, rgb, self.dtype),
        )
        if len(self.feed) == 0:
            raise VideoSegError("the video has no frames to track")
        self.num_frames = len(self.feed)
        self.video_width = self.feed.video_width
        self.video_height = self.feed.video_height
        self.session = Sam3VideoInferenceSession(
            video=None,
            video_height=self.video_height,
            video_width=self.video_width,
            inference_device=device,
            inference_state_device=device,
            video_storage_device="cpu",
            dtype=self.dtype,
        )
        self.session.processed_frames = self.feed  # read as session.get_frame(i) and len()
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
        self.spill_root = Path(tempfile.mkdtemp(prefix="concept-", dir=spill_dir))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.spill_root), True)
        self.spill = TensorSpill(self.spill_root / "memory.bin")
        self.memory = ConceptMemory(model, self.spill) if prune else None
        batch_objects = batch_objects and BatchedTracker.supports(model)
        self.batcher = BatchedTracker(model) if batch_objects else None
        self._tracked = False
        self._buffer: list = []
        self._track_concepts: dict[int, str] = {}
        self.planned_frames = 0
        self.peak_objects = 0

    # -- prompts ----------------------------------------------------------------------------

    @property
    def concepts(self) -> list[str]:
        return list(self.session.prompts.values())

    def add_concept(self, text: str) -> None:
        """A phrase to find (several may be tracked in one run; each instance keeps its own)."""
        text = (text or "").strip()
        if not text:
            raise VideoSegError("a concept to track in a video needs a text")
        if self._tracked:
            raise VideoSegError("add concepts before tracking")
        self.processor.add_text_prompt(self.session, text)

    def concept_of(self, obj_id: int) -> str:
        """The text that found track ``obj_id`` (also in each result's ``concepts``)."""
        known = self._track_concepts.get(obj_id)
        if known is not None:
            return known
        return self.session.prompts[self.session.obj_id_to_prompt_id[obj_id]]

    # -- tracking ---------------------------------------------------------------------------

    def propagate(
        self,
        start_frame: int = 0,
        direction: str = "forward",
        end_frame: int | None = None,
        on_frame: Callable[[ConceptFrameResult], None] | None = None,
        cancel: threading.Event | Callable[[], bool] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> PropagationOutcome:
        """Find and track every instance from ``start_frame``; results go to ``on_frame``.

        Frames are reported in tracking order, each once, a few frames after they were tracked
        (transformers' hot-start delay lets it drop tracks that turn out to be noise).
        Cancelling stops between frames; the frames tracked so far are still reported.
        """
        is_cancelled = cancel_check(cancel)
        steps = self.steps(start_frame, direction, end_frame)
        total = self.planned_frames
        done = 0
        began = time.monotonic()
        for ready in steps:
            done += 1
            for result in ready:
                if on_frame is not None:
                    on_frame(result)
            if on_progress is not None:
                on_progress(progress_after(done, total, time.monotonic() - began))
            if done < total and is_cancelled():
                for result in self.flush():
                    if on_frame is not None:
                        on_frame(result)
                steps.close()
                return PropagationOutcome(done, total, True)
        return PropagationOutcome(done, total, False)

    def steps(
        self, start_frame: int = 0, direction: str = "forward", end_frame: int | None = None
    ) -> Iterator[list[ConceptFrameResult]]:
        """The run one frame at a time: after each tracked frame, the results ready to report.

        Often empty during the hot-start delay; ``flush()`` hands out what is held back when
        the caller stops early. For callers that interleave work between frames (benchmarks,
        a worker that answers other requests); ``propagate`` is built on it.
        """
        if not self.session.prompts:
            raise VideoSegError("add a concept before tracking")
        if self._tracked:
            raise VideoSegError("a concept session tracks once: start a new one to track again")
        self._tracked = True
        passes = concept_passes(int(start_frame), direction, end_frame, self.num_frames)
        self.planned_frames = sum(len(order) for _, order in passes)
        return self._steps(passes)

    def _steps(self, passes) -> Iterator[list[ConceptFrameResult]]:
        delay = int(self.model.hotstart_delay)
        for p, (reverse, order) in enumerate(passes):
            self._buffer = []
            for i, frame in enumerate(order):
                if i + 1 < len(order):
                    self.feed.prefetch(order[i + 1])
                with self._inference(), self._batched():
                    out = self.model(
                        inference_session=self.session, frame_idx=frame, reverse=reverse
                    )
                    if self.memory is not None:
                        remaining = [(reverse, order[i + 1 :])] + list(passes[p + 1 :])
                        self.memory.prune(self.session, remaining)
                self.peak_objects = max(self.peak_objects, len(self.session.obj_ids))
                if delay > 0:
                    self._buffer.append(out)
                    self.session.hotstart_removed_obj_ids.update(out.removed_obj_ids)
                    if i == len(order) - 1:
                        ready, self._buffer = self._buffer, []
                    elif len(self._buffer) >= delay:
                        ready, self._buffer = self._buffer[:1], self._buffer[1:]
                    else:
                        ready = []
                else:
                    ready = [out]
                yield [self._result(o) for o in ready]

    def flush(self) -> list[ConceptFrameResult]:
        """Results tracked but held back by the hot-start delay (when stopping early)."""
        held, self._buffer = self._buffer, []
        return [self._result(o) for o in held]

    def _result(self, out: Any) -> ConceptFrameResult:
        with self._inference():
            post = self.processor.postprocess_outputs(self.session, out)
        ids = [int(i) for i in post["object_ids"].tolist()]
        masks = post["masks"].cpu().numpy() if ids else np.zeros((0, 1, 1), bool)
        det_scores = [float(s) for s in post["scores"].tolist()]
        frame_scores = out.obj_id_to_tracker_score or {}
        instances, detected, concepts = {}, {}, {}
        for k, obj_id in enumerate(ids):
            mask = masks[k]
            if self.postprocessing is not None:
                mask = self.postprocessing.apply(mask)
            if not mask.any():
                continue
            score = float(frame_scores.get(obj_id, det_scores[k]))
            instances[obj_id] = FoundInstance.from_mask(mask, score)
            detected[obj_id] = det_scores[k]
            concepts[obj_id] = self._track_concepts.setdefault(obj_id, self.concept_of(obj_id))
        return ConceptFrameResult(int(out.frame_idx), instances, detected, concepts)

    # -- bookkeeping ------------------------------------------------------------------------

    def memory_stats(self) -> dict[str, Any]:
        """What the session holds now, to show that memory stays bounded."""
        outputs = self.session.output_dict_per_obj.values()
        return {
            "objects": len(self.session.obj_ids),
            "feed_frames": len(self.feed.cached_indices),
            "non_cond_outputs": sum(len(o["non_cond_frame_outputs"]) for o in outputs),
            "cond_outputs": sum(len(o["cond_frame_outputs"]) for o in outputs),
            "spill_bytes": self.spill.nbytes,
            "dropped": self.memory.dropped if self.memory else 0,
        }

    def close(self) -> None:
        self.feed.close()
        self.session.output_dict_per_obj.clear()
        self.session.cache.clear_all()
        self.spill.close()
        self._cleanup()

    def __enter__(self) -> ConceptVideoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _batched(self) -> contextlib.AbstractContextManager:
        if self.batcher is None:
            return contextlib.nullcontext()
        return self.batcher.installed(self.session)

    def _inference(self) -> contextlib.ExitStack:
        return inference_context(self._model_lock, self._compute_context)


def _preprocess(video_processor: Any, rgb: np.ndarray, dtype: Any):
    """One frame exactly as the processor prepares a whole video (checked by the tests)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ModelError(f"expected an HxWx3 uint8 RGB frame, got {rgb.dtype} {rgb.shape}")
    batch = video_processor(videos=[rgb[None]], device="cpu", return_tensors="pt")
    return batch.pixel_values_videos[0][0].to(dtype)


def track_ids(results: Iterable[ConceptFrameResult]) -> list[int]:
    """Every track id seen in ``results``, in order of first appearance."""
    seen: dict[int, None] = {}
    for result in results:
        seen.update(dict.fromkeys(result.instances))
    return list(seen)
