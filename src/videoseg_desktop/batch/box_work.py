"""The worker side of `videoseg boxes-to-masks --cluster`: detector boxes to SAM 2.1 masks on
one media item (an image's boxes in batched decoder calls, a video's MOT tracks tracked between
their key boxes). The results are plain ``FoundInstance``s and ``ConceptFrameResult``s, stored by
the driver's ``BoxWriter`` as a local run stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from videoseg_desktop.batch.track_work import Sam2Worker
from videoseg_desktop.core.box_prompts import BoxTrack, DetectedBox
from videoseg_desktop.core.concepts import ConceptFrameResult, FoundInstance


@dataclass(frozen=True)
class BoxPayload:
    """An image's boxes, or a video's tracks (one of the two), as ``BoxJob`` holds them."""

    boxes: tuple[DetectedBox, ...] = ()
    tracks: tuple[BoxTrack, ...] = ()
    key_every: int = 10


@dataclass(frozen=True)
class BoxResult:
    found: tuple[FoundInstance | None, ...] = ()  # image: aligned with the payload's boxes
    frames: tuple[ConceptFrameResult, ...] = ()  # video: the tracked frames, in order


class BoxWorker(Sam2Worker):
    def compute(self, frames, payload: BoxPayload) -> BoxResult:
        # looked up at call time: tests replace these module functions
        from videoseg_desktop.inference import box_masks

        engine = self.model()
        if not payload.tracks:
            found = box_masks.masks_for_image(engine, frames.read(0), list(payload.boxes))
            self.report(1, 1)
            return BoxResult(found=tuple(found))
        out: list[ConceptFrameResult] = []
        box_masks.masks_for_video(
            engine,
            frames,
            list(payload.tracks),
            self.scratch() / "tracking",
            payload.key_every,
            out.append,
            on_progress=self.report,
        )
        return BoxResult(frames=tuple(out))
