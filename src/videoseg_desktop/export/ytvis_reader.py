"""Reading YouTube-VIS files: videos with per-frame file names, one annotation per track."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.text import plural
from videoseg_desktop.export.attribute_reader import (
    read_attribute_specs,
    read_attributes,
    read_scores,
)
from videoseg_desktop.export.coco_reader import annotations_file, category_of, read_categories
from videoseg_desktop.export.dataset import (
    AnnotationSet,
    Track,
    VideoAnnotations,
    normalise_segmentation,
    positive_size,
    require,
)
from videoseg_desktop.export.validation import AnnotationBudget
from videoseg_desktop.export.writer import check_relative_name, read_json


def video_name(file_names: list[str], video_id: int) -> str:
    """The folder all frames share (``car-shadow/00000.jpg`` -> ``car-shadow``), else ``video-<id>``."""
    parents = {str(PurePosixPath(name).parent) for name in file_names}
    if len(parents) == 1 and (parent := parents.pop()) not in ("", "."):
        return parent
    return f"video-{video_id}"


def read_ytvis(path: Path) -> AnnotationSet:
    source = annotations_file(path)
    data = read_json(source, "YouTube-VIS")
    if not isinstance(data, dict) or "videos" not in data or "annotations" not in data:
        raise ExportError(f"{source} is not a YouTube-VIS file (no 'videos' and 'annotations')")
    names = read_categories(data, source)
    videos: dict[int, VideoAnnotations] = {}
    for n, entry in enumerate(require(data, "videos", list, source.name)):
        where = f"{source.name}: video #{n + 1}"
        video_id = require(entry, "id", int, where)
        if video_id in videos:
            raise ExportError(f"{where}: video id {video_id} appears twice")
        height, width = positive_size(entry, where)
        file_names = require(entry, "file_names", list, where)
        if not all(isinstance(f, str) for f in file_names):
            raise ExportError(f"{where}: 'file_names' must be strings")
        file_names = [check_relative_name(f, where) for f in file_names]
        length = entry.get("length", len(file_names))
        if not isinstance(length, int) or length != len(file_names):
            raise ExportError(
                f"{where}: 'length' {length} differs from {len(file_names)} file names"
            )
        videos[video_id] = VideoAnnotations(
            video_name(file_names, video_id), height, width, length, file_names
        )
    budget = AnnotationBudget(source)
    for n, ann in enumerate(require(data, "annotations", list, source.name)):
        where = f"{source.name}: annotation #{n + 1}"
        video_id = require(ann, "video_id", int, where)
        if video_id not in videos:
            raise ExportError(f"{where}: video id {video_id} is not in 'videos'")
        video = videos[video_id]
        track_id = ann.get("id", n + 1)
        if not isinstance(track_id, int) or isinstance(track_id, bool):
            raise ExportError(f"{where}: 'id' must be a number")
        track = Track(track_id, category_of(names, ann, where))
        segmentations = require(ann, "segmentations", list, where)
        if len(segmentations) != video.length:
            raise ExportError(
                f"{where}: {plural(len(segmentations), 'segmentation')} for a video of {plural(video.length, 'frame')}"
            )
        for frame, seg in enumerate(segmentations):
            if seg is None:
                continue
            budget.add()
            rle = normalise_segmentation(seg, video.height, video.width, f"{where}, frame {frame}")
            if rle is not None:
                track.masks[frame] = rle
        scores = read_scores(ann, video.length, where)
        track.scores = {f: v for f, v in scores.items() if f in track.masks}
        track.attributes = read_attributes(ann, where, video.length)
        video.tracks.append(track)
    dataset = AnnotationSet("ytvis", source, videos=list(videos.values()))
    dataset.attribute_specs = read_attribute_specs(data, names, source)
    return dataset
