"""YouTube-VIS export: one annotation per tracked object with a mask (or null) for every frame.

Layout (as in the YouTube-VIS releases): ``annotations.json`` beside ``JPEGImages/<video>/00000.jpg``;
``file_names`` are relative to ``JPEGImages``. Per-frame segmentations are compressed RLE with
string counts, so holes and disjoint parts survive exactly.
"""

from __future__ import annotations

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.core.text import noun, plural
from videoseg_desktop.export.coco import categories
from videoseg_desktop.export.frames import frame_file_name, opened_frames, write_jpeg
from videoseg_desktop.export.selection import NameAllocator, select
from videoseg_desktop.export.writer import (
    ExportSummary,
    ExportTarget,
    Progress,
    dataset_info,
    write_json_streaming,
)

ANNOTATIONS_FILE = "annotations.json"
FRAMES_DIR = "JPEGImages"


def export_ytvis(
    project,
    out_dir=None,
    labels: list[str] | None = None,
    media_ids: list[int] | None = None,
    zip_output: bool = False,
    progress: Progress | None = None,
    status: str = "any",
) -> ExportSummary:
    """Write a YouTube-VIS dataset of the project's videos.

    Without ``media_ids`` every annotated video is exported (writing the frames of an
    unannotated video would only cost disk); with them exactly those videos.
    """
    sel = select(
        project,
        {MediaKind.VIDEO},
        labels,
        media_ids,
        require_label=True,
        annotated_only=media_ids is None,
        status=status,
    )
    names = NameAllocator()
    plans = [(video_id, item, names.stem(item)) for video_id, item in enumerate(sel.media, 1)]
    summary = ExportSummary("ytvis", path=None)
    with ExportTarget(project.exports_dir, "ytvis", out_dir, zip_output) as target:
        total = sum(item.frame_count for _, item, _ in plans)
        done, videos, tracks = 0, [], []
        for video_id, item, stem in plans:
            with opened_frames(project, item) as source:
                length = len(source)
                file_names = [f"{stem}/{frame_file_name(i)}" for i in range(length)]
                for name, rgb in zip(file_names, source.iter_frames(), strict=True):
                    write_jpeg(target.file(f"{FRAMES_DIR}/{name}"), rgb)
                    done += 1
                    if progress:
                        progress(done, max(total, done))
            videos.append(
                {
                    "id": video_id,
                    "width": item.width,
                    "height": item.height,
                    "length": length,
                    "file_names": file_names,
                    "license": 0,
                    "coco_url": "",
                    "flickr_url": "",
                    "date_captured": "",
                }
            )
            tracks.extend((video_id, item, length, obj) for obj in sel.objects(item.id))
        counts = {"masks": 0, "objects": 0, "beyond": 0}
        with open(target.file(ANNOTATIONS_FILE), "w", encoding="utf-8") as fh:
            write_json_streaming(
                fh,
                [
                    ("info", dataset_info(project)),
                    ("licenses", []),
                    ("categories", categories(sel.labels, sel.specs_by_label())),
                    ("videos", iter(videos)),
                    ("annotations", _annotations(sel, tracks, counts)),
                ],
            )
        summary.files = target.count_files()
    summary.path = target.final
    summary.videos = len(videos)
    summary.objects = counts["objects"]
    summary.masks = counts["masks"]
    if counts["beyond"]:
        sel.warnings.append(
            f"{plural(counts['beyond'], 'mask')} {noun(counts['beyond'], 'lies', 'lie')} beyond their video's last frame; left out"
        )
    summary.warnings = sel.finish_warnings()
    return summary


def _annotations(sel, tracks, counts):
    ann_id = 0
    for video_id, item, length, obj in tracks:
        segmentations: list = [None] * length
        areas: list = [None] * length
        bboxes: list = [None] * length
        scores: list = [None] * length
        found = 0
        for rec in sel.masks(obj):
            if rec.frame >= length:
                counts["beyond"] += 1
                continue
            if list(rec.rle["size"]) != [item.height, item.width]:
                raise ExportError(
                    f"a mask of {item.original_name} frame {rec.frame} does not match the video's"
                    f" size {item.width}x{item.height}; the project is inconsistent"
                )
            segmentations[rec.frame] = {"size": list(rec.rle["size"]), "counts": rec.rle["counts"]}
            areas[rec.frame] = int(rec.area)
            bboxes[rec.frame] = [float(v) for v in rec.bbox]
            scores[rec.frame] = rec.score
            found += 1
        if not found:
            continue  # a track with no mask at all says nothing
        ann_id += 1
        counts["objects"] += 1
        counts["masks"] += found
        entry = {
            "id": ann_id,
            "video_id": video_id,
            "category_id": obj.label_id,
            "iscrowd": 0,
            "height": item.height,
            "width": item.width,
            "segmentations": segmentations,
            "areas": areas,
            "bboxes": bboxes,
        }
        if any(s is not None for s in scores):
            entry["scores"] = scores  # per-frame confidence, aligned like the segmentations
        attributes = sel.track_attributes(obj, length)
        if attributes is not None:
            entry["attributes"] = attributes  # per-frame values as lists aligned the same way
        yield entry
