"""numpy arrays to QImages (copied into memory Qt owns) and to QPainterPaths (built by Qt).

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


_PATH_ELEMENT = np.dtype([("type", ">i4"), ("x", ">f8"), ("y", ">f8")])


def segments_to_path(segments: np.ndarray, offset: tuple[float, float] = (0.0, 0.0)):
    """Line segments (x0, y0, x1, y1) -> QPainterPath, built in one go by Qt.

    A mask outline can have 100,000 segments; calling moveTo/lineTo per segment costs seconds
    in Python, so the path is written in QDataStream's QPainterPath format (big-endian: count,
    then type/x/y per element, then the current subpath start and the fill rule) and read back.
    """
    from PySide6.QtCore import QByteArray, QDataStream
    from PySide6.QtGui import QPainterPath

    path = QPainterPath()
    n = len(segments)
    if n == 0:
        return path
    elements = np.empty(2 * n, dtype=_PATH_ELEMENT)
    elements["type"][0::2] = 0  # MoveToElement
    elements["type"][1::2] = 1  # LineToElement
    elements["x"][0::2] = segments[:, 0] + offset[0]
    elements["y"][0::2] = segments[:, 1] + offset[1]
    elements["x"][1::2] = segments[:, 2] + offset[0]
    elements["y"][1::2] = segments[:, 3] + offset[1]
    header = np.array([2 * n], dtype=">i4").tobytes()
    trailer = np.array([2 * n - 2, 0], dtype=">i4").tobytes()  # last moveTo, OddEvenFill
    stream = QDataStream(QByteArray(header + elements.tobytes() + trailer))
    stream >> path
    return path
