"""Boxes-to-masks runs: detector boxes become suggested objects with the pre-labelling rules.

A run is one (media item, label of the boxes file, model), recorded in ``prelabel_runs`` like a
concept run (its concept key names the file by content and the score threshold): a re-run skips
what is done, an interrupted video is redone, objects that exist are never written to, and an
instance overlapping an object of its label (IoU >= 0.5) is skipped. Storing is
``PrelabelWriter``'s; this module only plans and groups by label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from videoseg_desktop.core.box_prompts import BoxSource, BoxTrack, DetectedBox
from videoseg_desktop.core.concepts import ConceptFrameResult, FoundInstance
from videoseg_desktop.core.records import MediaItem
from videoseg_desktop.store.prelabel import PrelabelJob, PrelabelWriter


@dataclass
class BoxJob:
    """One media item to do: its boxes (or tracks) of the labels not done yet."""

    media: MediaItem
    jobs: dict[str, PrelabelJob]  # label -> run to do
    boxes: list[DetectedBox] = field(default_factory=list)
    tracks: list[BoxTrack] = field(default_factory=list)


def plan_box_jobs(
    project,
    images: Sequence[tuple[MediaItem, list[DetectedBox]]],
    videos: Sequence[tuple[MediaItem, list[BoxTrack]]],
    file_key: str,
    min_score: float | None,
    model: str,
    redo: bool = False,
) -> list[BoxJob]:
    out = []
    for item, boxes in [*images, *videos]:
        labels = sorted({b.label for b in boxes})
        jobs = {}
        for label in labels:
            job = PrelabelJob(item, BoxSource(label, file_key, min_score), model)
            run = project.prelabels.get(item.id, job.key, model)
            if redo or run is None or run.state != "done":
                jobs[label] = job
        if not jobs:
            continue
        todo = [b for b in boxes if b.label in jobs]
        if todo and isinstance(todo[0], BoxTrack):
            out.append(BoxJob(item, jobs, tracks=todo))
        else:
            out.append(BoxJob(item, jobs, boxes=todo))
    return out


class BoxWriter:
    """Stores one media item's results, a ``PrelabelWriter`` per label."""

    def __init__(self, project, job: BoxJob, accept: bool = False) -> None:
        self.job = job
        self.writers = {
            label: PrelabelWriter(project, j, accept=accept) for label, j in job.jobs.items()
        }
        self._labels = {t.track_id: t.label for t in job.tracks}

    def begin(self) -> None:
        for writer in self.writers.values():
            writer.begin()

    def write_image(self, found: Sequence[FoundInstance | None]) -> None:
        """The image's instances, aligned with ``job.boxes``; each label in one transaction
        that finishes its run."""
        by_label: dict[str, list[FoundInstance]] = {label: [] for label in self.writers}
        for box, instance in zip(self.job.boxes, found, strict=True):
            if instance is not None:
                by_label[box.label].append(instance)
        for label, writer in self.writers.items():
            writer.write_image(by_label[label], 0)

    def write_frames(self, results: Sequence[ConceptFrameResult]) -> None:
        for label, writer in self.writers.items():
            ids = {t for t, lb in self._labels.items() if lb == label}
            writer.write_frames(results, track_ids=ids)

    def finish(self) -> None:
        for writer in self.writers.values():
            writer.finish()

    @property
    def created(self) -> int:
        return sum(len(w.report.created) for w in self.writers.values())

    @property
    def found(self) -> int:
        return sum(w.report.found for w in self.writers.values())

    @property
    def skipped(self) -> int:
        return sum(w.report.skipped for w in self.writers.values())
