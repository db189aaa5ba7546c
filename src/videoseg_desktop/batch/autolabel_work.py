"""The worker side of `videoseg autolabel --cluster`: SAM 3 concept search on one media item.

Three kinds of task, as the local run splits its work: an image (every concept on it), video
frames with example boxes (a concept searched frame by frame), a video tracked by text (all its
text concepts in one pass). Results are plain: ``FoundInstance``s and ``ConceptFrameResult``s
(RLE, score, box, track ids), stored by the driver's ``PrelabelWriter`` as a local run does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.batch.executor import BaseWorker
from videoseg_desktop.core.concepts import ConceptFrameResult, ConceptPrompt, FoundInstance

IMAGE, FRAMES, TRACKED = "image", "frames", "tracked"


@dataclass(frozen=True)
class AutolabelPayload:
    kind: str  # IMAGE, FRAMES or TRACKED
    media_id: int
    concepts: tuple[ConceptPrompt, ...]  # IMAGE: each searched on frame 0; TRACKED: their texts
    frames: tuple[tuple[int, ...], ...] = ()  # FRAMES: the frames of each concept
    threshold: float = 0.5
    start: int = 0
    direction: str = "forward"


@dataclass(frozen=True)
class AutolabelResult:
    # IMAGE and FRAMES: per concept, (frame, instances) in order; TRACKED: the tracked frames
    found: tuple[tuple[tuple[int, list[FoundInstance]], ...], ...] = ()
    tracked: tuple[ConceptFrameResult, ...] = ()


@dataclass(frozen=True)
class Sam3Choice:
    model: str
    folder: str | None  # the driver's model folder: used where the worker can read it
    image_size: int | None
    device: str | None
    precision: str


class ConceptWorker(BaseWorker):
    def __init__(self, choice: Sam3Choice) -> None:
        super().__init__()
        self.choice = choice
        self._image_session = None

    def load(self):
        from videoseg_desktop.inference.concept_engine import ConceptEngine

        c = self.choice
        folder = Path(c.folder) if c.folder and Path(c.folder).is_dir() else None
        return ConceptEngine.load(
            c.model, folder=folder, image_size=c.image_size, device=c.device, precision=c.precision
        )

    def compute(self, frames, payload: AutolabelPayload) -> AutolabelResult:
        engine = self.model()
        if payload.kind == TRACKED:
            out: list[ConceptFrameResult] = []
            with engine.video_session(frames, self.scratch() / "tracking") as session:
                for concept in payload.concepts:
                    session.add_concept(concept.text)
                start = min(payload.start, len(frames) - 1)
                session.propagate(
                    start,
                    payload.direction,
                    on_frame=out.append,
                    on_progress=lambda p: self.report(p.done, p.total),
                )
            return AutolabelResult(tracked=tuple(out))
        if self._image_session is None:  # kept: it caches the concepts' text encodings
            self._image_session = engine.image_session()
        session = self._image_session
        found = []
        per_concept = payload.frames or tuple((0,) for _ in payload.concepts)
        total, done = sum(len(f) for f in per_concept), 0
        for concept, concept_frames in zip(payload.concepts, per_concept, strict=True):
            results = []
            for frame in concept_frames:
                rgb = frames.read(frame)
                exemplars = concept.exemplars_on(payload.media_id, frame)
                result = session.find(rgb, concept, payload.threshold, exemplars=exemplars)
                results.append((frame, list(result.instances)))
                done += 1
                self.report(done, total)
            found.append(tuple(results))
        return AutolabelResult(found=tuple(found))
