"""Reading still images with Pillow: size checks before decoding, EXIF orientation applied.

Pixel coordinates everywhere in the project (prompts, masks) refer to the image as it is shown
upright, i.e. after the EXIF orientation tag is applied, like every viewer and COCO tool does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.media.formats import (
    MAX_PIXELS,
    check_pixel_limit,
    pixel_limit_text,
)

# Pillow refuses images over twice its own limit (179 MP by default) while opening them, before
# our check could name our limit: make its limit ours, so the documented 250 MP is what holds.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_EXIF_ORIENTATION = 0x0112
# EXIF orientation -> clockwise rotation a viewer applies (2, 4, 5, 7 also mirror).
_ORIENTATION_ROTATION = {1: 0, 2: 0, 3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}


@dataclass(frozen=True)
class ImageHeader:
    width: int  # upright (EXIF orientation applied)
    height: int
    rotation: int  # clockwise degrees from the EXIF orientation
    mode: str  # Pillow mode, e.g. "RGB", "RGBA", "L", "I;16"
    format: str  # "png", "jpeg", ...


def read_image_header(path: Path) -> ImageHeader:
    """Size and format from the header alone; refuses bombs without decoding pixels."""
    path = Path(path)
    with _open(path) as img:
        orientation = _orientation(img)
        width, height = img.size
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        return ImageHeader(
            width=width,
            height=height,
            rotation=_ORIENTATION_ROTATION.get(orientation, 0),
            mode=img.mode,
            format=(img.format or "").lower(),
        )


def load_image(path: Path) -> np.ndarray:
    """The upright image as an H,W,3 uint8 RGB array (alpha dropped, greys expanded)."""
    path = Path(path)
    with _open(path) as img:
        try:
            img.load()
            upright = ImageOps.exif_transpose(img)
            rgb = _to_rgb(upright)
        except Image.DecompressionBombError:  # a size that grew while decoding
            raise MediaError(
                f"{path.name} is too large to decode safely ({pixel_limit_text()}): refused as "
                "a possible decompression bomb."
            ) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise MediaError(
                f"{path.name} cannot be decoded (truncated or corrupt: {exc})."
            ) from None
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _open(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past 2x its own limit raises) on large images; ours is checked
            # right below with a message meant for the user.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError:
        raise MediaError(
            f"{path.name} is too large to open safely ({pixel_limit_text()}): refused as a "
            "possible decompression bomb."
        ) from None
    except FileNotFoundError:
        raise MediaError(f"{path.name}: file not found ({path}).") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"{path.name} is not a readable image ({exc}).") from None
    try:
        check_pixel_limit(path, *img.size)
    except MediaError:
        img.close()
        raise
    return img


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not make the image unreadable
        return 1


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greys: scale to 8 bits rather than clip (Pillow's convert("L") clips).
        arr = np.asarray(img, dtype=np.float64)
        peak = 65535.0 if img.mode.startswith("I;16") else max(float(arr.max()), 1.0)
        grey = np.clip(arr * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Alpha is dropped and the stored colour of transparent pixels kept, as cv2.imread
        # does: training pipelines will read the same pixels.
        return img.convert("RGBA").convert("RGB")
    return img.convert("RGB")
