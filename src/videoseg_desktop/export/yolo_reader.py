"""Reading YOLO segmentation datasets: ``data.yaml`` class names and ``labels/**/*.txt`` polygons.

Coordinates are normalised, so they become masks only once the image size is known (the importer
takes it from the project's media).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.export.polygon_join import joined_polygon_to_mask


@dataclass
class YoloLabelFile:
    name: str  # path under labels/ without ".txt", POSIX ("a", "clip/00003")
    polygons: list[tuple[int, list[float]]] = field(default_factory=list)  # (class, normalised xy)

    def masks(self, height: int, width: int) -> list[tuple[int, np.ndarray]]:
        """(class, mask) per line (one instance each), rasterised at the image's size. A line
        whose parts and holes are joined by zero-width bridges (our export, Ultralytics' COCO
        converter) is filled by the even-odd rule without drawing the bridges."""
        out = []
        for cls, poly in self.polygons:
            pixels = [v * (width if i % 2 == 0 else height) for i, v in enumerate(poly)]
            out.append((cls, joined_polygon_to_mask(pixels, height, width)))
        return out


def read_class_names(root: Path) -> list[str]:
    import yaml  # PyYAML comes with hydra-core (omegaconf); only this reader needs it

    data_file = next(
        (root / n for n in ("data.yaml", "dataset.yaml") if (root / n).is_file()), None
    )
    if data_file is None:
        raise ExportError(f"{root} has no data.yaml naming the classes")
    try:
        data = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ExportError(f"{data_file} is not valid YAML: {exc}") from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        if sorted(names) != list(range(len(names))):
            raise ExportError(f"{data_file}: class indices must be 0..{len(names) - 1}")
        names = [names[i] for i in range(len(names))]
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ExportError(f"{data_file}: 'names' must list the class names")
    return [n.strip() for n in names]


def parse_label_file(path: Path, name: str, n_classes: int) -> YoloLabelFile:
    result = YoloLabelFile(name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    for line_no, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path.name} line {line_no}"
        try:
            cls = int(fields[0])
            coords = [float(v) for v in fields[1:]]
        except ValueError:
            raise ExportError(f"{where}: expected a class number and coordinates") from None
        if not 0 <= cls < n_classes:
            raise ExportError(f"{where}: class {cls} is not in data.yaml (0..{n_classes - 1})")
        if len(coords) == 4:
            raise ExportError(
                f"{where}: a bounding box; only segmentation polygons can be imported"
            )
        if len(coords) < 6 or len(coords) % 2:
            raise ExportError(f"{where}: a polygon needs at least 3 x y pairs")
        if not all(math.isfinite(v) and -0.01 <= v <= 1.01 for v in coords):
            raise ExportError(f"{where}: coordinates must be normalised to 0..1")
        result.polygons.append((cls, coords))
    return result


def read_yolo(path: Path) -> tuple[list[str], list[YoloLabelFile]]:
    root = Path(path)
    if not root.is_dir():
        raise ExportError(f"{root} is not a YOLO dataset folder")
    class_names = read_class_names(root)
    labels_dir = root / "labels"
    if not labels_dir.is_dir():
        raise ExportError(f"{root} has no labels/ folder")
    files = [
        parse_label_file(p, p.relative_to(labels_dir).with_suffix("").as_posix(), len(class_names))
        for p in sorted(labels_dir.rglob("*.txt"))
    ]
    return class_names, files
