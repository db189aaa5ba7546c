"""Prompts as the tensors sam2's video predictor builds from them, with the same arithmetic.

``add_new_points_or_box`` puts a box first as two points labelled 2 and 3, normalises pixel
coordinates by the video size and scales them to the model's input size; ``add_new_mask``
resizes a mask with antialiased bilinear interpolation and thresholds it at 0.5. Doing exactly
the same here keeps a session's masks identical to the stock predictor's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from videoseg_desktop.core.prompts import Box, Point

if TYPE_CHECKING:
    import torch


def point_prompt(
    points: list[Point],
    box: Box | None,
    video_size: tuple[int, int],
    image_size: int,
    device: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(coords [1, N, 2] in model-input pixels, labels [1, N] int32) for ``video_size`` (W, H)."""
    import torch

    coords = torch.tensor([[p.x, p.y] for p in points], dtype=torch.float32).reshape(1, -1, 2)
    labels = torch.tensor([int(p.positive) for p in points], dtype=torch.int32).reshape(1, -1)
    if box is not None:
        b = box.normalized()
        box_coords = torch.tensor([b.x0, b.y0, b.x1, b.y1], dtype=torch.float32).reshape(1, 2, 2)
        box_labels = torch.tensor([2, 3], dtype=torch.int32).reshape(1, 2)
        coords = torch.cat([box_coords, coords], dim=1)
        labels = torch.cat([box_labels, labels], dim=1)
    coords = coords / torch.tensor(list(video_size))
    return (coords * image_size).to(device), labels.to(device)


def mask_prompt(mask: np.ndarray, image_size: int, device: Any) -> torch.Tensor:
    """A boolean HxW mask as the [1, 1, S, S] float input of sam2's mask prompts."""
    import torch
    import torch.nn.functional as F

    mask_inputs = torch.from_numpy(np.asarray(mask).astype(bool))[None, None].float().to(device)
    if mask_inputs.shape[-2:] != (image_size, image_size):
        mask_inputs = F.interpolate(
            mask_inputs,
            (image_size, image_size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        mask_inputs = (mask_inputs >= 0.5).float()
    return mask_inputs
