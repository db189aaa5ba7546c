"""The result of an evaluation: per-instance or per-object scores, their summary, text and JSON."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from videoseg_desktop.core.text import plural


@dataclass
class InstanceScore:
    image: str  # the image key (file name without extension)
    category: str
    iou: float
    dice: float
    status: str  # "matched", "missed" (ground truth without prediction) or "extra"


@dataclass
class ObjectScore:
    video: str
    object_id: int  # the ground-truth track id (DAVIS object id, YouTube-VIS annotation id)
    category: str | None
    J: dict[str, float]  # mean, recall, decay
    F: dict[str, float]
    frames: int


def _mean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def _clean(value):
    """NaN (nothing to average) as null, so the JSON is strict."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _fmt(value: float) -> str:
    return "  n/a " if math.isnan(value) else f"{value:.4f}"


@dataclass
class EvalReport:
    mode: str  # "images" or "videos"
    pred_format: str
    gt_format: str
    instances: list[InstanceScore] = field(default_factory=list)
    objects: list[ObjectScore] = field(default_factory=list)
    images: int = 0
    videos: int = 0
    extra_objects: int = 0  # predicted tracks with no ground-truth partner (videos)
    warnings: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def summarise(self) -> None:
        if self.mode == "images":
            classes: dict[str, list[InstanceScore]] = {}
            for inst in self.instances:
                classes.setdefault(inst.category, []).append(inst)
            per_class = {
                name: {
                    "instances": len(items),
                    "iou": _mean(i.iou for i in items),
                    "dice": _mean(i.dice for i in items),
                }
                for name, items in sorted(classes.items())
            }
            self.summary = {
                "instances": len(self.instances),
                "matched": sum(i.status == "matched" for i in self.instances),
                "missed": sum(i.status == "missed" for i in self.instances),
                "extra": sum(i.status == "extra" for i in self.instances),
                "mean_iou": _mean(i.iou for i in self.instances),
                "mean_dice": _mean(i.dice for i in self.instances),
                "class_mean_iou": _mean(c["iou"] for c in per_class.values()),
                "class_mean_dice": _mean(c["dice"] for c in per_class.values()),
                "per_class": per_class,
            }
            return
        overall = {
            measure: {
                stat: _mean(getattr(o, measure)[stat] for o in self.objects)
                for stat in ("mean", "recall", "decay")
            }
            for measure in ("J", "F")
        }
        self.summary = {
            "objects": len(self.objects),
            "extra_objects": self.extra_objects,
            "J&F": (overall["J"]["mean"] + overall["F"]["mean"]) / 2,
            **overall,
        }

    def to_dict(self) -> dict:
        data = {
            "mode": self.mode,
            "pred_format": self.pred_format,
            "gt_format": self.gt_format,
            "images": self.images,
            "videos": self.videos,
            "summary": self.summary,
            "warnings": self.warnings,
        }
        if self.mode == "images":
            data["instances"] = [asdict(i) for i in self.instances]
        else:
            data["objects"] = [asdict(o) for o in self.objects]
        return _clean(data)

    def text(self) -> str:
        s = self.summary
        if self.mode == "images":
            lines = [
                f"images: {plural(self.images, 'ground-truth image')}; {plural(s['matched'], 'instance')} matched, "
                f"{s['missed']} missed, {s['extra']} extra ({self.pred_format} vs {self.gt_format})",
                f"{'class':<24}{'instances':>10}{'IoU':>9}{'Dice':>9}",
            ]
            for name, c in s["per_class"].items():
                lines.append(
                    f"{name[:23]:<24}{c['instances']:>10}{_fmt(c['iou']):>9}{_fmt(c['dice']):>9}"
                )
            lines.append(
                f"{'mean':<24}{s['instances']:>10}{_fmt(s['mean_iou']):>9}{_fmt(s['mean_dice']):>9}"
            )
            lines.append(
                f"{'class mean':<24}{'':>10}{_fmt(s['class_mean_iou']):>9}"
                f"{_fmt(s['class_mean_dice']):>9}"
            )
            return "\n".join(lines)
        header = "".join(
            f"{h:>10}" for h in ("J-mean", "J-recall", "J-decay", "F-mean", "F-recall", "F-decay")
        )
        lines = [
            f"videos: {self.videos}, objects: {s['objects']}"
            + (
                f", {plural(s['extra_objects'], 'predicted object')} without ground truth"
                if s["extra_objects"]
                else ""
            )
            + f" ({self.pred_format} vs {self.gt_format})",
            f"{'video':<20}{'object':>7}{header}",
        ]
        for o in self.objects:
            values = [o.J[k] for k in ("mean", "recall", "decay")] + [
                o.F[k] for k in ("mean", "recall", "decay")
            ]
            lines.append(
                f"{o.video[:19]:<20}{o.object_id:>7}" + "".join(f"{_fmt(v):>10}" for v in values)
            )
        overall = [s["J"][k] for k in ("mean", "recall", "decay")] + [
            s["F"][k] for k in ("mean", "recall", "decay")
        ]
        lines.append(f"{'overall':<27}" + "".join(f"{_fmt(v):>10}" for v in overall))
        lines.append(f"J&F mean: {_fmt(s['J&F'])}")
        return "\n".join(lines)
