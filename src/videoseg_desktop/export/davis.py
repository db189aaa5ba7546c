"""DAVIS export: per video, indexed (palette) PNG masks with object ids 1..N beside JPEG frames.

Standard layout: ``JPEGImages/480p/<name>/00000.jpg`` and ``Annotations/480p/<name>/00000.png``
(the folder keeps DAVIS's ``480p`` name; the images keep the video's real resolution). A pixel
holds one object id, so where masks overlap the later object wins, and the export says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.core.text import noun, plural
from videoseg_desktop.export.frames import frame_file_name, opened_frames, write_jpeg
from videoseg_desktop.export.selection import NameAllocator, select
from videoseg_desktop.export.writer import ExportSummary, ExportTarget, Progress

FRAMES_DIR = "JPEGImages/480p"
MASKS_DIR = "Annotations/480p"
MAX_OBJECTS = 255


def davis_palette() -> list[int]:
    """The PASCAL VOC / DAVIS colour map: 256 RGB triples, index 0 black, 1 red, 2 green ..."""
    palette = []
    for index in range(256):
        r = g = b = 0
        c = index
        for bit in range(8):
            r |= ((c >> 0) & 1) << (7 - bit)
            g |= ((c >> 1) & 1) << (7 - bit)
            b |= ((c >> 2) & 1) << (7 - bit)
            c >>= 3
        palette += [r, g, b]
    return palette


_PALETTE = davis_palette()


def write_index_png(path: Path, ids: np.ndarray) -> None:
    """Save a 2-D uint8 array of object ids as a palette PNG (the DAVIS annotation format)."""
    h, w = ids.shape
    img = Image.frombytes("P", (w, h), np.ascontiguousarray(ids, np.uint8).tobytes())
    img.putpalette(_PALETTE)
    img.save(path, format="PNG", optimize=False)


def export_davis(
    project,
    out_dir=None,
    labels: list[str] | None = None,
    media_ids: list[int] | None = None,
    zip_output: bool = False,
    progress: Progress | None = None,
    status: str = "any",
) -> ExportSummary:
    """Write a DAVIS-layout dataset of the project's videos (every annotated one by default).

    Objects with at least one mask get ids 1..N in creation order; unlabelled objects are
    included (DAVIS has no classes).
    """
    sel = select(
        project,
        {MediaKind.VIDEO},
        labels,
        media_ids,
        require_label=False,
        annotated_only=media_ids is None,
        status=status,
    )
    names = NameAllocator()
    summary = ExportSummary("davis", path=None)
    overlaps = 0
    with ExportTarget(project.exports_dir, "davis", out_dir, zip_output) as target:
        total, done = sum(item.frame_count for item in sel.media), 0
        for item in sel.media:
            stem = names.stem(item)
            objects = [o for o in sel.objects(item.id) if project.masks.frames_of(o.id)]
            if len(objects) > MAX_OBJECTS:
                raise ExportError(
                    f"{item.original_name} has {plural(len(objects), 'object')}; DAVIS PNGs hold at most "
                    f"{MAX_OBJECTS}"
                )
            index_of = {obj.id: n for n, obj in enumerate(objects, 1)}
            with opened_frames(project, item) as source:
                length = len(source)
                for i, rgb in zip(range(length), source.iter_frames(), strict=True):
                    write_jpeg(target.file(f"{FRAMES_DIR}/{stem}/{frame_file_name(i)}"), rgb)
                    ids = np.zeros((item.height, item.width), np.uint8)
                    for rec in project.masks.for_frame(item.id, i):
                        n = index_of.get(rec.object_id)
                        if n is None or rec.area == 0:
                            continue
                        mask = decode_rle(rec.rle)
                        if mask.shape != ids.shape:
                            raise ExportError(
                                f"a mask of {item.original_name} frame {i} is {mask.shape[1]}x"
                                f"{mask.shape[0]}, the video {item.width}x{item.height}"
                            )
                        overlaps += int(np.count_nonzero(ids[mask]))
                        ids[mask] = n
                        summary.masks += 1
                    write_index_png(
                        target.file(f"{MASKS_DIR}/{stem}/{frame_file_name(i, '.png')}"), ids
                    )
                    done += 1
                    if progress:
                        progress(done, max(done, total))
            summary.videos += 1
            summary.objects += len(objects)
        summary.files = target.count_files()
    summary.path = target.final
    if overlaps:
        sel.warnings.append(
            f"{plural(overlaps, 'pixel')} {noun(overlaps, 'belongs', 'belong')} to more than one object; DAVIS keeps one id per pixel "
            "(the later object's)"
        )
    summary.warnings = sel.finish_warnings()
    return summary
