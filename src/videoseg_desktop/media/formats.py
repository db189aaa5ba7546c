"""Recognising media files by their content, and the size limits every decoder obeys.

The kind of a file is decided by its first bytes, not its name: a JPEG saved as ``.png`` is still
read as a JPEG. A file whose content is of the other kind than its extension says (a PNG named
``clip.mp4``) is refused with a message naming what it really is, because other tools
(exporters, training code) go by the extension and would misread it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.core.limits import MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE
from videoseg_desktop.core.records import MediaKind

# Decompression-bomb limits: refuse before decoding. 250 MP is a 20000x12500 panorama.
MAX_PIXELS = MAX_IMAGE_PIXELS
MAX_SIDE = MAX_IMAGE_SIDE

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg"}
)
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS

_MPEGTS_EXTENSIONS = frozenset({".ts", ".mts", ".m2ts"})

# ISO base media (mp4/mov) files start with a box whose type is one of these.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


@dataclass(frozen=True)
class Sniffed:
    kind: MediaKind
    format: str  # "png", "jpeg", "bmp", "tiff", "webp", "mp4", "matroska", "avi", "mpegts"


def sniff(path: Path) -> Sniffed:
    """Identify ``path`` from its first bytes, or raise MediaError saying why it is not media."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(64)
    except FileNotFoundError:
        raise MediaError(f"{path.name}: file not found ({path}).") from None
    except IsADirectoryError:
        raise MediaError(f"{path.name} is a folder, not an image or video file.") from None
    except OSError as exc:
        raise MediaError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None
    if size == 0:
        raise MediaError(f"{path.name} is empty (0 bytes).")
    found = _sniff_bytes(head)
    if found is None and path.suffix.lower() in _MPEGTS_EXTENSIONS and head[0] == 0x47:
        # Transport streams have no magic number, only a 0x47 sync byte every 188 bytes;
        # trust the extension and let PyAV judge the content.
        found = Sniffed(MediaKind.VIDEO, "mpegts")
    if found is None:
        if path.suffix.lower() in MEDIA_EXTENSIONS:
            raise MediaError(
                f"{path.name} is not a valid {path.suffix.lstrip('.').upper()} file "
                "(its content is not a supported image or video; it may be corrupt or renamed)."
            )
        raise MediaError(
            f"{path.name} is not a supported image or video "
            "(supported: PNG, JPEG, BMP, TIFF, WebP, MP4, MOV, MKV, WebM, AVI)."
        )
    _check_extension(path, found)
    return found


def _sniff_bytes(head: bytes) -> Sniffed | None:
    image = MediaKind.IMAGE
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(image, "png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(image, "jpeg")
    if head.startswith(b"BM") and len(head) >= 26:
        return Sniffed(image, "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed(image, "tiff")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(image, "webp")
    video = MediaKind.VIDEO
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed(video, "avi")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed(video, "matroska")
    if len(head) >= 8 and head[4:8] in _ISO_BOXES:
        return Sniffed(video, "mp4")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Sniffed(video, "mpeg")
    return None


def _check_extension(path: Path, found: Sniffed) -> None:
    ext = path.suffix.lower()
    named_video = ext in VIDEO_EXTENSIONS
    named_image = ext in IMAGE_EXTENSIONS
    if found.kind is MediaKind.IMAGE and named_video:
        raise MediaError(
            f"{path.name} is a {found.format.upper()} image but its name ends in {ext}; "
            f"rename it to .{_IMAGE_EXT[found.format]} and import it again."
        )
    if found.kind is MediaKind.VIDEO and named_image:
        raise MediaError(
            f"{path.name} is a video ({found.format}) but its name ends in {ext}; "
            "rename it with a video extension such as .mp4 and import it again."
        )


_IMAGE_EXT = {"png": "png", "jpeg": "jpg", "bmp": "bmp", "tiff": "tif", "webp": "webp"}


def pixel_limit_text() -> str:
    """The limit in words, for every message that refuses an image as too large."""
    return f"the limit is {MAX_PIXELS // 1_000_000} megapixels and {MAX_SIDE} pixels a side"


def check_pixel_limit(path: Path, width: int, height: int) -> None:
    """Refuse absurd sizes before anything is decoded (a few bytes can claim gigapixels)."""
    if width <= 0 or height <= 0:
        raise MediaError(f"{Path(path).name} reports an invalid size {width}x{height}.")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise MediaError(
            f"{Path(path).name} is too large to open safely ({width}x{height} pixels; "
            f"{pixel_limit_text()}): "
            "refused as a possible decompression bomb."
        )
