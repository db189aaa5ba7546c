"""What the window reads on every store change in review: the review bar's refresh (per-media
flag counts, the current media's runs, the current frame's flags), the media browser's per-row
counts, and J (the next item), against reading the whole queue, which the bar does not do.

Uses bench_review's project builder (raw SQL, 10 % suggested objects, a few jumps per track).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from benchmarks.bench_review import build, timed

from videoseg_desktop.store.review_flags import recompute_all


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--objects", type=int, default=5)
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp) / "p", args.videos, args.objects, args.frames)
        with project.db.transaction() as conn:
            recompute_all(conn, project.review.thresholds())
        review = project.review
        middle = project.media.ids()[len(project.media.ids()) // 2]
        first = review.media_items(middle)[0]

        def bar_refresh():
            review.flag_counts()
            review.media_items(middle)
            review.frame_flags(middle, first.first_frame)

        def browser_counts():
            review.flag_counts()
            review.suggested_counts()

        out = {
            "masks": args.videos * args.objects * args.frames,
            "flagged": sum(review.flag_counts().values()),
            "bar_refresh_ms": round(timed(bar_refresh)[0] * 1000, 2),
            "browser_counts_ms": round(timed(browser_counts)[0] * 1000, 2),
            "next_item_ms": round(timed(lambda: review.next_item(first))[0] * 1000, 2),
            "whole_queue_ms": round(timed(review.items, repeat=1)[0] * 1000, 1),
            "load": os.getloadavg()[0],
        }
        project.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
