"""Project statistics: what is there, who made it, how long it took, how the review went.

One function, ``project_stats``, reads everything with a handful of grouped queries (no mask
is decoded) and returns plain dataclasses; ``to_dict`` gives JSON, ``csv_rows`` the rows of
the CSV export (section, name, metric, value).
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from videoseg_desktop.core.errors import VideoSegError


@dataclass
class AnnotatorStats:
    user: str
    items: int = 0  # media items they made masks on or spent time on
    objects: int = 0
    masks: int = 0
    active_s: float = 0.0
    median_s_per_image: float | None = None
    median_s_per_tracked_frame: float | None = None
    masks_per_hour: float | None = None
    clicks: int = 0  # on the objects they created
    corrections: int = 0
    accepted: int = 0  # of their masks, by reviewers
    rejected: int = 0
    accept_rate: float | None = None
    reject_rate: float | None = None
    items_reviewed: int = 0  # items with their masks marked reviewed / needs changes
    items_needing_changes: int = 0


@dataclass
class OutcomeStats:
    accepted: int = 0
    rejected: int = 0

    @property
    def accept_rate(self) -> float | None:
        total = self.accepted + self.rejected
        return round(self.accepted / total, 4) if total else None

    @property
    def reject_rate(self) -> float | None:
        total = self.accepted + self.rejected
        return round(self.rejected / total, 4) if total else None

    def to_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "accept_rate": self.accept_rate,
            "reject_rate": self.reject_rate,
        }


@dataclass
class ProjectStats:
    media: int = 0
    images: int = 0
    videos: int = 0
    objects: int = 0
    masks: int = 0
    flagged_masks: int = 0
    media_by_status: dict[str, int] = field(default_factory=dict)
    masks_by_source: dict[str, int] = field(default_factory=dict)
    objects_by_label: dict[str, int] = field(default_factory=dict)
    masks_by_label: dict[str, int] = field(default_factory=dict)
    objects_by_state: dict[str, int] = field(default_factory=dict)
    clicks_per_object: float | None = None  # mean over objects with prompts
    corrections_per_track: float | None = None  # mean over objects with tracked masks
    annotators: list[AnnotatorStats] = field(default_factory=list)
    review_by_source: dict[str, OutcomeStats] = field(default_factory=dict)
    review_by_reviewer: dict[str, OutcomeStats] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["review_by_source"] = {k: v.to_dict() for k, v in self.review_by_source.items()}
        out["review_by_reviewer"] = {k: v.to_dict() for k, v in self.review_by_reviewer.items()}
        return out

    def csv_rows(self) -> list[tuple[str, str, str, object]]:
        """(section, name, metric, value) rows: one flat table a spreadsheet reads."""
        rows: list[tuple[str, str, str, object]] = []
        for metric in ("media", "images", "videos", "objects", "masks", "flagged_masks"):
            rows.append(("project", "", metric, getattr(self, metric)))
        rows.append(("project", "", "clicks_per_object", self.clicks_per_object))
        rows.append(("project", "", "corrections_per_track", self.corrections_per_track))
        for section, counts in (
            ("status", self.media_by_status),
            ("source", self.masks_by_source),
            ("label_objects", self.objects_by_label),
            ("label_masks", self.masks_by_label),
            ("object_state", self.objects_by_state),
        ):
            rows += [(section, name, "count", n) for name, n in counts.items()]
        for a in self.annotators:
            rows += [("annotator", a.user, k, v) for k, v in asdict(a).items() if k != "user"]
        for section, table in (
            ("review_source", self.review_by_source),
            ("reviewer", self.review_by_reviewer),
        ):
            for name, o in table.items():
                rows += [(section, name, k, v) for k, v in o.to_dict().items()]
        return rows


def project_stats(project) -> ProjectStats:
    conn = project.db.conn
    s = ProjectStats()
    counts = project.media.counts()
    s.media, s.images, s.videos = counts["media"], counts["images"], counts["videos"]
    s.objects, s.masks = (
        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("objects", "masks")
    )
    s.flagged_masks = conn.execute("SELECT count(*) FROM review_flags").fetchone()[0]
    s.media_by_status = {k.value: v for k, v in project.media.status_counts().items()}
    s.masks_by_source = dict(
        conn.execute("SELECT source, count(*) FROM masks GROUP BY source ORDER BY source")
    )
    s.objects_by_state = dict(
        conn.execute("SELECT state, count(*) FROM objects GROUP BY state ORDER BY state")
    )
    labels = "coalesce(l.name, '(no label)')"
    s.objects_by_label = dict(
        conn.execute(
            f"SELECT {labels}, count(*) FROM objects o LEFT JOIN labels l ON l.id = o.label_id"
            f" GROUP BY {labels} ORDER BY {labels}"
        )
    )
    s.masks_by_label = dict(
        conn.execute(
            f"SELECT {labels}, count(*) FROM masks k JOIN objects o ON o.id = k.object_id"
            f" LEFT JOIN labels l ON l.id = o.label_id GROUP BY {labels} ORDER BY {labels}"
        )
    )
    s.clicks_per_object = _round(
        conn.execute("SELECT avg(clicks) FROM objects WHERE clicks > 0").fetchone()[0]
    )
    s.corrections_per_track = _round(
        conn.execute(
            "SELECT avg(corrections) FROM objects o WHERE EXISTS (SELECT 1 FROM masks k"
            " WHERE k.object_id = o.id AND k.source IN ('propagated', 'auto'))"
        ).fetchone()[0]
    )
    s.annotators = _annotators(conn)
    s.review_by_source, s.review_by_reviewer = _outcomes(conn)
    return s


def _annotators(conn) -> list[AnnotatorStats]:
    people: dict[str, AnnotatorStats] = {}

    def person(name: str | None) -> AnnotatorStats:
        name = name or "(unknown)"
        return people.setdefault(name, AnnotatorStats(name))

    items: dict[str, set[int]] = {}
    # Per (author, media): masks and distinct frames (a video's tracked frames).
    per_media: dict[tuple[str, int], tuple[int, int]] = {}
    for author, media_id, n, frames in conn.execute(
        "SELECT k.author, o.media_id, count(*), count(DISTINCT k.frame) FROM masks k"
        " JOIN objects o ON o.id = k.object_id GROUP BY k.author, o.media_id"
    ):
        p = person(author)
        p.masks += n
        items.setdefault(p.user, set()).add(media_id)
        per_media[(p.user, media_id)] = (n, frames)
    for author, n, clicks, corrections in conn.execute(
        "SELECT author, count(*), sum(clicks), sum(corrections) FROM objects GROUP BY author"
    ):
        p = person(author)
        p.objects, p.clicks, p.corrections = n, int(clicks or 0), int(corrections or 0)
    per_image: dict[str, list[float]] = {}
    per_frame: dict[str, list[float]] = {}
    for author, media_id, active_s, kind in conn.execute(
        "SELECT e.author, e.media_id, e.active_s, m.kind FROM effort e JOIN media m ON m.id = e.media_id"
    ):
        p = person(author)
        p.active_s += active_s
        items.setdefault(p.user, set()).add(media_id)
        if kind == "image":
            per_image.setdefault(p.user, []).append(active_s)
        else:
            frames = per_media.get((p.user, media_id), (0, 0))[1]
            if frames:
                per_frame.setdefault(p.user, []).append(active_s / frames)
    for author, decision, masks in conn.execute(
        "SELECT mask_author, decision, sum(masks) FROM review_decisions GROUP BY mask_author, decision"
    ):
        p = person(author)
        if decision == "accept":
            p.accepted += int(masks)
        elif decision == "reject":
            p.rejected += int(masks)
    for author, decision, n in conn.execute(
        "SELECT mask_author, decision, count(DISTINCT media_id) FROM review_decisions"
        " WHERE decision IN ('reviewed', 'needs-changes') AND masks > 0"
        " GROUP BY mask_author, decision"
    ):
        p = person(author)
        if decision == "reviewed":
            p.items_reviewed = n
        else:
            p.items_needing_changes = n
    for p in people.values():
        p.items = len(items.get(p.user, ()))
        p.active_s = round(p.active_s, 3)
        p.median_s_per_image = _median(per_image.get(p.user))
        p.median_s_per_tracked_frame = _median(per_frame.get(p.user))
        p.masks_per_hour = _round(p.masks / (p.active_s / 3600)) if p.active_s > 0 else None
        outcome = OutcomeStats(p.accepted, p.rejected)
        p.accept_rate, p.reject_rate = outcome.accept_rate, outcome.reject_rate
    return sorted(people.values(), key=lambda p: p.user)


def _outcomes(conn) -> tuple[dict[str, OutcomeStats], dict[str, OutcomeStats]]:
    by_source: dict[str, OutcomeStats] = {}
    by_reviewer: dict[str, OutcomeStats] = {}
    for source, reviewer, decision, masks in conn.execute(
        "SELECT mask_source, author, decision, sum(masks) FROM review_decisions"
        " WHERE decision IN ('accept', 'reject') GROUP BY mask_source, author, decision"
    ):
        for table, key in ((by_source, source), (by_reviewer, reviewer)):
            o = table.setdefault(key or "(unknown)", OutcomeStats())
            if decision == "accept":
                o.accepted += int(masks)
            else:
                o.rejected += int(masks)
    return dict(sorted(by_source.items())), dict(sorted(by_reviewer.items()))


def _median(values: list[float] | None) -> float | None:
    return _round(statistics.median(values)) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def write_stats_csv(stats: ProjectStats, path: Path | str) -> None:
    """The statistics as one CSV table (section, name, metric, value): the window's export too."""
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(("section", "name", "metric", "value"))
            writer.writerows(("" if v is None else v for v in row) for row in stats.csv_rows())
    except OSError as exc:
        raise VideoSegError(f"cannot write {path}: {exc.strerror}") from exc
