"""Media layer: probing, frame indexes, frame-accurate video reading, images, thumbnails.

Imports only core (see DESIGN.md). Everything above reads pixels through ``open_frames``.
"""

from videoseg_desktop.media.formats import IMAGE_EXTENSIONS, MEDIA_EXTENSIONS, VIDEO_EXTENSIONS
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index
from videoseg_desktop.media.frames import FrameSource, ImageFrames, load_or_build_index, open_frames
from videoseg_desktop.media.hashing import sha256_file
from videoseg_desktop.media.image_io import load_image
from videoseg_desktop.media.probe import MediaInfo, probe_media, probe_media_with_index
from videoseg_desktop.media.thumbnails import make_thumbnail
from videoseg_desktop.media.video_reader import VideoReader

__all__ = [
    "IMAGE_EXTENSIONS",
    "MEDIA_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "FrameIndex",
    "FrameSource",
    "ImageFrames",
    "MediaInfo",
    "VideoReader",
    "build_frame_index",
    "load_image",
    "load_or_build_index",
    "make_thumbnail",
    "open_frames",
    "probe_media",
    "probe_media_with_index",
    "sha256_file",
]
