"""Turning RGB frames and prompts into model inputs, without torchvision.

SAM 2.1 sees every image squashed (not letterboxed) to ``image_size`` x ``image_size``:
``SAM2ImagePredictor`` does ToTensor (/255), a bilinear antialiased Resize, then the ImageNet
normalisation. We do the same with ``torch.nn.functional.interpolate(antialias=True)``.
Prompt coordinates are scaled per axis into that square.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.prompts import Box, Point

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# SAM's point labels: 1 positive click, 0 negative click, 2/3 box corners.
_BOX_LABELS = (2, 3)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 from HxW grey, HxWx3 RGB or HxWx4 RGBA uint8 (raises ModelError otherwise)."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ModelError(f"images must be uint8, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[:, :, :3]
    raise ModelError(f"images must be HxW or HxWx3/4, got shape {image.shape}")


def image_to_tensor(image: np.ndarray, image_size: int, device):
    """A 1x3xSxS float32 tensor on ``device``, resized and normalised as SAM 2.1 expects."""
    import torch
    import torch.nn.functional as F

    rgb = np.ascontiguousarray(as_rgb(image))
    if not rgb.flags.writeable:  # e.g. np.asarray(PIL image); torch wants writable memory
        rgb = rgb.copy()
    x = torch.from_numpy(rgb).to(device).permute(2, 0, 1)[None].float() / 255.0
    x = F.interpolate(
        x, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True
    )
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def prompt_arrays(
    points: Sequence[Point], box: Box | None, orig_hw: tuple[int, int], image_size: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Points and box as SAM's (1xNx2 coords in model pixels, 1xN labels); None if no prompt.

    The box goes first as two corner points, the way sam2 merges boxes into the point prompt.
    """
    h, w = orig_hw
    coords: list[tuple[float, float]] = []
    labels: list[int] = []
    if box is not None:
        b = box.normalized()
        coords += [(b.x0, b.y0), (b.x1, b.y1)]
        labels += list(_BOX_LABELS)
    for p in points:
        coords.append((p.x, p.y))
        labels.append(1 if p.positive else 0)
    if not coords:
        return None
    xy = np.asarray(coords, dtype=np.float32)
    xy[:, 0] *= image_size / w
    xy[:, 1] *= image_size / h
    return xy[None], np.asarray(labels, dtype=np.int32)[None]


def mask_to_logits(mask: np.ndarray, low_res: int) -> np.ndarray:
    """A full-resolution boolean mask as 1xLxL logits usable as SAM's mask prompt.

    SAM's mask input is trained on its own low-resolution logits; a +-10 step through a
    box-filtered resize approximates them (deep inside/outside saturate, edges are soft).
    """
    import cv2

    m = np.asarray(mask, dtype=np.float32)
    if m.ndim != 2:
        raise ModelError(f"mask prompts must be 2-D, got shape {m.shape}")
    small = cv2.resize(m, (low_res, low_res), interpolation=cv2.INTER_AREA)
    return ((small - 0.5) * 20.0).astype(np.float32)[None]
