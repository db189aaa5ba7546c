"""What a video session hands out: per-frame results and progress. Plain data, no torch.

The GUI's worker passes these across threads; the CLI stores them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle, encode_rle

DIRECTIONS = ("forward", "backward", "both")


@dataclass(frozen=True)
class FrameResult:
    """Masks of one frame: ``masks[obj_id]`` is an HxW bool array at the video's resolution."""

    frame: int
    masks: dict[int, np.ndarray]
    logits: dict[int, np.ndarray]  # low-resolution (S/4 x S/4) mask logits, float32
    object_scores: dict[int, float]  # > 0: the model sees the object on this frame

    def rle(self, obj_id: int) -> Rle:
        return encode_rle(self.masks[obj_id])

    def rles(self) -> dict[int, Rle]:
        return {obj_id: encode_rle(mask) for obj_id, mask in self.masks.items()}


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    fps: float
    eta_s: float | None


@dataclass(frozen=True)
class PropagationOutcome:
    frames_done: int
    total: int
    cancelled: bool


def cancel_check(cancel: threading.Event | Callable[[], bool] | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def progress_after(done: int, total: int, elapsed: float) -> Progress:
    fps = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / fps if fps > 0 else None
    return Progress(done, total, fps, eta)


def plan_passes(
    start: int, direction: str, end_frame: int | None, num_frames: int
) -> list[tuple[bool, range]]:
    """The (reverse, frames in order) passes of one propagation, forward first for "both".

    ``end_frame`` bounds a single-direction pass (inclusive). Backward from frame 0 is no pass
    at all, as in sam2.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    forward_end, backward_end = num_frames - 1, 0
    if end_frame is not None:
        if direction == "both":
            raise ValueError("end_frame needs a single direction")
        if (end_frame < start) if direction == "forward" else (end_frame > start):
            raise VideoSegError(f"frame {end_frame} is not {direction} of frame {start}")
        forward_end = backward_end = end_frame
    passes = []
    if direction in ("forward", "both"):
        passes.append((False, range(start, forward_end + 1)))
    if direction in ("backward", "both") and start > 0:
        passes.append((True, range(start, backward_end - 1, -1)))
    return passes
