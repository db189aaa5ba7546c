"""Pre-labelling a media selection in the worker: a SAM 3 concept, or detector boxes with SAM 2.1.

The job computes media item by media item (video frames in batches) and sends each piece to the
GUI as a ``BatchPart`` while it goes on; the GUI thread stores them (``BatchRunner``). Runs the
project already finished are passed in (``done``) and skipped, so a cancelled batch resumes.
The cancel flag is checked between images and between video frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from videoseg_desktop.core.concepts import ConceptPrompt
from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.store.prelabel import PrelabelJob
from videoseg_desktop.ui.inference.inference_jobs import FrameRef, Job
from videoseg_desktop.ui.prelabel.find_all_jobs import concept_engine

BATCH_FRAMES = 16


@dataclass(frozen=True)
class BatchPart:
    """Results of one media item (or some frames of a video) to store."""

    request_id: int
    job: object  # PrelabelJob (concept) or BoxJob (boxes)
    results: list  # images: FoundInstances (concept) or aligned with the boxes; videos: frames
    video: bool
    done: bool  # the item is finished: its run can be marked done


@dataclass(frozen=True)
class BatchDone:
    request_id: int
    cancelled: bool
    items: int
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class MediaSource:
    """A media item and where the worker reads it."""

    item: MediaItem
    path: str
    index_path: str | None

    def ref(self, frame: int = 0) -> FrameRef:
        return FrameRef(self.path, self.item.kind.value, self.index_path, frame)

    def open(self):
        from videoseg_desktop.media.frames import open_frames

        index = Path(self.index_path) if self.index_path else None
        return open_frames(Path(self.path), self.item.kind, index)


class _DoneRuns:
    """``project.prelabels.get`` over the finished runs the GUI passed in (no database here)."""

    def __init__(self, done: set[tuple[int, str, str]]):
        self.done = done

    def get(self, media_id: int, key: str, model: str):
        return _Done() if (media_id, key, model) in self.done else None


class _Done:
    state = "done"


@dataclass
class _BatchJob(Job):
    priority: ClassVar[int] = 4
    media: list[MediaSource] = field(default_factory=list)
    done: set = field(default_factory=set)  # (media id, concept key, model) already finished
    spill_dir: str | None = None

    def _emit(self, worker, job, results, video: bool, done: bool) -> None:
        worker.answered.emit(BatchPart(self.request_id, job, list(results), video, done))

    def _frames(self, worker, source, job, run) -> bool:
        """Run a video, sending frames in batches; False when cancelled."""
        pending: list = []

        def on_frame(result) -> None:
            pending.append(result)
            if len(pending) >= BATCH_FRAMES:
                self._emit(worker, job, pending, True, False)
                pending.clear()

        finished = run(on_frame)
        self._emit(worker, job, pending, True, bool(finished))
        return bool(finished)


@dataclass
class ConceptBatchJob(_BatchJob):
    """Every instance of a concept on each item: images searched, videos tracked (text)."""

    needs_engine: ClassVar[bool] = False
    concept: ConceptPrompt | None = None
    threshold: float = 0.5
    model: str = "sam3"
    device: str | None = None
    direction: str = "forward"  # videos: as `videoseg autolabel --direction`
    start_frame: int = 0  # videos: as `--from`, clipped to each video's last frame

    def run(self, worker) -> BatchDone:
        start = time.perf_counter()
        engine = concept_engine(worker, self.model, None, self.device)
        session, todo = engine.image_session(), []
        for source in self.media:
            own = self.concept.for_media(source.item.id)
            video = source.item.kind == MediaKind.VIDEO
            if own is None or (video and (own.text is None or not engine.handles_video)):
                continue
            if (source.item.id, own.key(), engine.model_id) not in self.done:
                todo.append((source, PrelabelJob(source.item, own, engine.model_id)))
        for n, (source, job) in enumerate(todo):
            if worker.cancel_requested():
                return BatchDone(self.request_id, True, n, seconds=time.perf_counter() - start)
            worker.report_progress(self, n, len(todo), f"Pre-labelling {source.item.original_name}")
            if source.item.kind == MediaKind.IMAGE:
                exemplars = job.concept.exemplars_on(source.item.id, 0)
                found = session.find(source.ref().read(), job.concept, self.threshold, exemplars)
                self._emit(worker, job, found.instances, False, True)
                continue

            def run(on_frame, source=source, job=job) -> bool:
                with (
                    source.open() as frames,
                    engine.video_session(frames, self.spill_dir) as video,
                ):
                    video.add_concept(job.concept.text)
                    first = min(self.start_frame, source.item.frame_count - 1)
                    outcome = video.propagate(
                        first, self.direction, on_frame=on_frame, cancel=worker.cancel_requested
                    )
                return not outcome.cancelled

            if not self._frames(worker, source, job, run):
                return BatchDone(self.request_id, True, n, seconds=time.perf_counter() - start)
        worker.report_progress(self, len(todo), len(todo), "Pre-labelling done")
        return BatchDone(self.request_id, False, len(todo), seconds=time.perf_counter() - start)


@dataclass
class BoxesBatchJob(_BatchJob):
    """Detector boxes from a file, turned into SAM 2.1 masks on the selected items."""

    path: str = ""
    format: str = "coco"
    min_score: float | None = None
    key_every: int = 10

    def run(self, worker) -> BatchDone:
        from videoseg_desktop.export.box_matching import match_boxes
        from videoseg_desktop.export.box_readers import read_boxes
        from videoseg_desktop.inference.box_masks import masks_for_image, masks_for_video
        from videoseg_desktop.store.box_prelabel import plan_box_jobs

        start = time.perf_counter()
        boxes = read_boxes(Path(self.path), self.format)  # checked before the model sees it
        plan = match_boxes([s.item for s in self.media], boxes, self.min_score)
        runs = type("Runs", (), {"prelabels": _DoneRuns(self.done)})()
        engine = worker.engine
        jobs = plan_box_jobs(
            runs, plan.images, plan.videos, boxes.digest, self.min_score, engine.model_id
        )
        sources = {s.item.id: s for s in self.media}
        problems = list(boxes.problems)
        if plan.unmatched:
            n = len(plan.unmatched)
            problems.append(
                f"{n} name{'s' if n != 1 else ''} in the file match{'es' if n == 1 else ''} "
                f"no selected item: {', '.join(plan.unmatched[:5])}"
            )
        for n, job in enumerate(jobs):
            source = sources[job.media.id]
            if worker.cancel_requested():
                return BatchDone(self.request_id, True, n, problems, time.perf_counter() - start)
            worker.report_progress(self, n, len(jobs), f"Boxes to masks: {job.media.original_name}")
            if job.boxes:
                found = masks_for_image(engine, source.ref().read(), job.boxes)
                self._emit(worker, job, found, False, True)
                continue

            def run(on_frame, source=source, job=job) -> bool:
                with source.open() as frames:
                    return masks_for_video(
                        engine,
                        frames,
                        job.tracks,
                        Path(self.spill_dir) if self.spill_dir else None,
                        self.key_every,
                        on_frame,
                        cancel=worker.cancel_requested,
                    )

            if not self._frames(worker, source, job, run):
                return BatchDone(self.request_id, True, n, problems, time.perf_counter() - start)
        worker.report_progress(self, len(jobs), len(jobs), "Boxes to masks done")
        return BatchDone(self.request_id, False, len(jobs), problems, time.perf_counter() - start)
