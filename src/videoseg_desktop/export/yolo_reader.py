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
from videoseg_desktop.core.limits import (
    MAX_POLYGON_VERTICES,
    MAX_YAML_BYTES,
    MAX_YOLO_LABEL_FILE_BYTES,
)
from videoseg_desktop.core.text import plural, size_text
from videoseg_desktop.export.polygon_join import joined_polygon_to_mask
from videoseg_desktop.export.validation import AnnotationBudget, check_polygons, check_text


@dataclass
class YoloLabelFile:
    name: str  # path under labels/ without ".txt", POSIX ("a", "clip/00003")
    polygons: list[tuple[int, list[float]]] = field(default_factory=list)  # (class, normalised xy)

    def masks(self, height: int, width: int) -> list[tuple[int, np.ndarray]]:
        """(class, mask) per line (one instance each), rasterised at the image's size. A line
        whose parts and holes are joined by zero-width bridges (our export, Ultralytics' COCO
        converter) is filled by the even-odd rule without drawing the bridges."""
        out = []
        for n, (cls, poly) in enumerate(self.polygons, 1):
            pixels = [v * (width if i % 2 == 0 else height) for i, v in enumerate(poly)]
            # the outline's length is known only in pixels: checked before OpenCV fills it
            check_polygons([pixels], height, width, f"{self.name}.txt polygon {n}")
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
        if data_file.stat().st_size > MAX_YAML_BYTES:
            raise ExportError(f"{data_file} is larger than {size_text(MAX_YAML_BYTES)}")
        data = yaml.safe_load(data_file.read_text(encoding="utf-8"))  # never yaml.load: code
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExportError(f"{data_file} is not valid YAML: {first}") from None
    except RecursionError:
        raise ExportError(f"{data_file} is nested too deeply") from None
    except OSError as exc:
        raise ExportError(f"cannot read {data_file}: {exc.strerror or exc}") from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        if sorted(names) != list(range(len(names))):
            raise ExportError(f"{data_file}: class indices must be 0..{len(names) - 1}")
        names = [names[i] for i in range(len(names))]
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ExportError(f"{data_file}: 'names' must list the class names")
    return [check_text(n.strip(), data_file.name, "class name") for n in names]


def parse_label_file(
    path: Path, name: str, n_classes: int, budget: AnnotationBudget | None = None
) -> YoloLabelFile:
    result = YoloLabelFile(name)
    try:
        if path.stat().st_size > MAX_YOLO_LABEL_FILE_BYTES:
            raise ExportError(
                f"{path} is larger than {size_text(MAX_YOLO_LABEL_FILE_BYTES)}; refused"
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    for line_no, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path.name} line {line_no}"
        if len(fields) > 2 * MAX_POLYGON_VERTICES + 1:
            raise ExportError(
                f"{where}: a polygon of {plural((len(fields) - 1) // 2, 'vertex', 'vertices')} "
                f"(the limit is {MAX_POLYGON_VERTICES})"
            )
        if budget is not None:
            budget.add()
        try:
            cls = int(fields[0])
            coords = [float(v) for v in fields[1:]]
        except (ValueError, OverflowError):
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
    budget = AnnotationBudget(labels_dir)
    files = [
        parse_label_file(
            p, p.relative_to(labels_dir).with_suffix("").as_posix(), len(class_names), budget
        )
        for p in sorted(labels_dir.rglob("*.txt"))
    ]
    return class_names, files
