"""Render resources/icons/videoseg-desktop.svg to the PNG sizes, .ico and .icns the bundles need.

Run after editing the SVG: ``python packaging/render_icons.py`` (uses Qt's SVG renderer and Pillow).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int, out: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    image.save(str(out))


def main() -> None:
    _app = QGuiApplication([])
    svg = ICONS / "videoseg-desktop.svg"
    for size in SIZES:
        render(svg, size, ICONS / f"videoseg-desktop-{size}.png")
    biggest = Image.open(ICONS / "videoseg-desktop-512.png")
    biggest.save(
        ICONS / "videoseg-desktop.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
    )
    biggest.save(ICONS / "videoseg-desktop.icns")
    print(f"rendered {len(SIZES)} PNGs, .ico and .icns into {ICONS}")


if __name__ == "__main__":
    main()
