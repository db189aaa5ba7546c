"""Pre-labelling work for the inference worker: SAM 3 "Find all" on one image, and batch runs
over a selection (concepts, or detector boxes with SAM 2.1).

The worker computes; the GUI thread stores (it is the project's only writer): answers carry
plain ``FoundInstance``s. The SAM 3 engine is loaded on first use and kept on the worker next to
the SAM 2.1 one (``worker.concept_engines``, one per model, size and device).
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from videoseg_desktop.core.concepts import ConceptPrompt, Exemplar, FoundInstance
from videoseg_desktop.ui.inference.inference_jobs import FrameRef, Job

FIND_FLOOR = 0.05  # lowest score kept: the threshold slider filters above it without re-running


@dataclass(frozen=True)
class FindAllAnswer:
    request_id: int
    media_id: int
    frame: int
    concept: ConceptPrompt
    instances: list[FoundInstance]
    model_id: str
    seconds: float


def concept_engine(worker, model: str, image_size: int | None, device: str | None):
    """The worker's SAM 3 engine for these settings, loaded once (ModelError when missing)."""
    from videoseg_desktop.inference.concept_engine import ConceptEngine

    engines = worker.__dict__.setdefault("concept_engines", {})
    key = (model, image_size, device)
    if key not in engines:
        engines.clear()  # one SAM 3 at a time: it weighs gigabytes
        engines[key] = ConceptEngine.load(model, image_size=image_size, device=device)
    return engines[key]


@dataclass
class FindAllJob(Job):
    """Every instance of a concept on one image (or one video frame)."""

    priority: ClassVar[int] = 1
    needs_engine: ClassVar[bool] = False  # SAM 3, not the SAM 2.1 engine
    media_id: int = 0
    frame: int = 0
    frame_ref: FrameRef | None = None
    image: np.ndarray | None = None
    concept: ConceptPrompt | None = None
    model: str = "sam3"
    image_size: int | None = None
    device: str | None = None

    @property
    def slot(self) -> Hashable:
        return ("find-all", self.media_id, self.frame)

    def run(self, worker) -> FindAllAnswer:
        start = time.perf_counter()
        worker.report_progress(self, 0, 0, f"Finding every {self.concept.label_name}")
        engine = concept_engine(worker, self.model, self.image_size, self.device)
        rgb = self.image if self.image is not None else self.frame_ref.read()
        exemplars = self.concept.exemplars_on(self.media_id, self.frame)
        result = engine.image_session().find(rgb, self.concept, FIND_FLOOR, exemplars=exemplars)
        return FindAllAnswer(
            self.request_id,
            self.media_id,
            self.frame,
            self.concept,
            list(result.instances),
            engine.model_id,
            time.perf_counter() - start,
        )


def exemplar(media_id: int, frame: int, box, positive: bool) -> Exemplar:
    return Exemplar(media_id, frame, box.normalized(), positive)
