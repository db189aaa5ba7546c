"""Helpers for the video-session tests: in-memory frame sources and the stock sam2 predictor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from videoseg_desktop.inference.checkpoint import CONFIGS


def one_torch_thread():
    """Generator for a module fixture: run torch on one thread, then restore the setting.

    On a shared 2-core machine libgomp's spin-waiting makes 2 threads up to 7x slower than one
    whenever another process is busy; results do not depend on it (ours and stock run alike).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class MemoryFrames:
    """The FrameSource protocol over a list of RGB arrays (counts reads, to prove laziness)."""

    def __init__(self, frames: list[np.ndarray]):
        self.frames = frames
        self.height, self.width = frames[0].shape[:2]
        self.reads: list[int] = []

    def __len__(self) -> int:
        return len(self.frames)

    def read(self, index: int) -> np.ndarray:
        self.reads.append(index)
        return self.frames[index]


def davis_frames(davis_root: Path, seq: str = "car-shadow") -> MemoryFrames:
    paths = sorted((davis_root / "JPEGImages" / "480p" / seq).glob("*.jpg"))
    return MemoryFrames([np.asarray(Image.open(p).convert("RGB")) for p in paths])


def davis_mask(davis_root: Path, frame: int, seq: str = "car-shadow") -> np.ndarray:
    path = davis_root / "Annotations" / "480p" / seq / f"{frame:05d}.png"
    return np.asarray(Image.open(path)) > 0


def build_stock_predictor(checkpoint: Path, image_size: int = 256, correct_as_cond: bool = True):
    """The unmodified SAM2VideoPredictor, built and loaded by sam2's own functions.

    ``correct_as_cond`` sets sam2's own constructor option ``add_all_frames_to_correct_as_cond``
    (our session always behaves that way; it matters only for corrections on tracked frames).
    """
    from sam2.build_sam import build_sam2_video_predictor

    # Hole filling needs sam2's CUDA extension: off on both sides, as in our build_predictor.
    overrides = [f"++model.image_size={image_size}", "++model.fill_hole_area=0"]
    if correct_as_cond:
        overrides.append("++model.add_all_frames_to_correct_as_cond=true")
    return build_sam2_video_predictor(
        CONFIGS["tiny"], str(checkpoint), device="cpu", hydra_overrides_extra=overrides
    )


def stock_state(stock, jpeg_folder: Path, images):
    """A stock inference state whose frame tensor is replaced by ``images`` (identical input)."""
    state = stock.init_state(str(jpeg_folder))
    assert state["images"].shape == images.shape
    state["images"] = images.clone()
    state["cached_features"] = {}  # init_state's warm-up used its own copy of frame 0
    return state


def stock_propagate(stock, state, **kwargs) -> tuple[list[int], dict[int, dict]]:
    """Run stock propagation; returns the frame order and {frame: {obj_id: (mask, logits)}}."""
    order, results = [], {}
    for frame, obj_ids, video_logits in stock.propagate_in_video(state, **kwargs):
        order.append(frame)
        per_obj = results.setdefault(frame, {})
        for i, obj_id in enumerate(obj_ids):
            outputs = state["output_dict_per_obj"][i]
            out = outputs["cond_frame_outputs"].get(frame)
            if out is None:
                out = outputs["non_cond_frame_outputs"][frame]
            per_obj[obj_id] = (
                (video_logits[i, 0] > 0).cpu().numpy(),
                out["pred_masks"][0, 0].float().cpu().numpy(),
            )
    return order, results


def compare_tracks(ours: dict, stock: dict, obj_id: int, frames) -> tuple[float, float]:
    """Min IoU and max low-res logit difference of ``obj_id`` over ``frames``.

    ``ours`` maps frame -> FrameResult, ``stock`` frame -> {obj_id: (mask, logits)}.
    """
    from videoseg_desktop.core.masks import mask_iou

    min_iou, max_diff = 1.0, 0.0
    for frame in frames:
        mask, logits = stock[frame][obj_id]
        min_iou = min(min_iou, mask_iou(ours[frame].masks[obj_id], mask))
        max_diff = max(max_diff, float(np.abs(ours[frame].logits[obj_id] - logits).max()))
    return min_iou, max_diff


def assert_non_trivial(results: dict, obj_id: int) -> None:
    """Random weights can give empty or constant masks; make sure these are real masks."""
    areas = [int(r.masks[obj_id].sum()) for r in results.values()]
    size = next(iter(results.values())).masks[obj_id].size
    assert any(0 < a < size for a in areas), areas
    assert len(set(areas)) > len(areas) // 2, f"masks barely change between frames: {areas}"
