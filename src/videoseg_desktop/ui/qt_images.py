"""numpy arrays to QImages by copying into memory Qt owns.

Building a QImage over a Python buffer (``QImage(array.data, ...)``) leaves the image pointing
at memory Python may free, and trips reference-count bugs in some PySide6 releases; allocating
the QImage first and filling its bits avoids both.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def _filled(array: np.ndarray, width: int, height: int, fmt: QImage.Format, depth: int) -> QImage:
    image = QImage(width, height, fmt)
    stride = image.bytesPerLine()
    bits = np.frombuffer(image.bits(), dtype=np.uint8, count=stride * height)
    bits.reshape(height, stride)[:, : width * depth] = array.reshape(height, width * depth)
    return image


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """H x W x 3 (or H x W grey) uint8 -> RGB888 QImage."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    h, w = rgb.shape[:2]
    return _filled(rgb, w, h, QImage.Format.Format_RGB888, 3)


def mask_to_qimage(mask: np.ndarray, rgba: int) -> QImage:
    """H x W bool -> Indexed8 QImage: transparent where False, ``rgba`` where True."""
    h, w = mask.shape
    image = _filled(np.asarray(mask, dtype=np.uint8), w, h, QImage.Format.Format_Indexed8, 1)
    image.setColorTable([0, rgba])
    return image
