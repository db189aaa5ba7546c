"""Hand-edited masks as prompts for the model: for the next click, and for re-tracking.

The click-after-edit rule (docs/adr/0003-edits-and-clicks.md): when the stored mask of an
object on a frame is "edited", the next click on that object and frame is predicted with the
edited mask as SAM's mask prompt (together with all the object's clicks there), and its
result is stored as "edited" again, so every later click keeps refining from the hand edit.
Undo brings back the exact edited mask. On videos, edited frames are fed to the video session
as mask prompts (``VideoSession.add_mask``), which makes them conditioning frames that the
next propagation tracks from.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import MaskSource


def click_mask_prompt(project, object_id: int, frame: int) -> np.ndarray | None:
    """The mask prompt for a click on ``object_id`` at ``frame``: its edited mask, or a
    model-found (auto) one, e.g. an accepted pre-label; else None."""
    record = project.masks.get(object_id, frame)
    if record is None or record.source not in (MaskSource.EDITED, MaskSource.AUTO):
        return None
    return decode_rle(record.rle)


def edited_frames(project, object_id: int) -> list[int]:
    """Frames where ``object_id``'s mask was edited by hand (the timeline marks them)."""
    return [f for f, source in project.masks.frames_of(object_id) if source == MaskSource.EDITED]


def edited_mask_prompts(
    project, object_ids: Iterable[int], frames: Iterable[int] | None = None
) -> list[tuple[int, int, np.ndarray]]:
    """(object id, frame, mask) for every edited mask of ``object_ids``, read on the GUI thread.

    ``frames`` limits which frames are used (e.g. the range about to be re-tracked). The store
    is read here, on the thread that owns it; the plain arrays then travel to the worker.
    """
    wanted = None if frames is None else set(frames)
    prompts = []
    for object_id in object_ids:
        for frame in edited_frames(project, object_id):
            if wanted is None or frame in wanted:
                record = project.masks.get(object_id, frame)
                prompts.append((object_id, frame, decode_rle(record.rle)))
    return prompts


def add_mask_prompts(video_session, prompts: Iterable[tuple[int, int, np.ndarray]]) -> int:
    """Feed ``edited_mask_prompts`` to a ``VideoSession`` (on the worker, before ``propagate``).

    Session object ids are the store's object ids. Returns how many masks were added.
    """
    count = 0
    for object_id, frame, mask in prompts:
        video_session.add_mask(object_id, frame, mask)
        count += 1
    return count
