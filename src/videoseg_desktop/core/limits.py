"""Limits on untrusted input: every file we read is checked against these before any library
sees it, so a crafted file ends in one clear error, in bounded time and memory.

They are far above what real datasets hold (COCO train2017: 860k annotations in a 450 MB file,
polygons of at most a few hundred vertices) and are documented in the README ("Safety").
"""

from __future__ import annotations

# Images and video frames (also annotation masks: a DAVIS PNG, a COCO image's declared size).
MAX_IMAGE_PIXELS = 250_000_000  # a 20000x12500 panorama
MAX_IMAGE_SIDE = 50_000

# Annotation files (COCO, YouTube-VIS, DAVIS folders, YOLO label folders).
MAX_ANNOTATION_FILE_BYTES = 2 * 1024**3  # one JSON file; LVIS train is 1.1 GB
MAX_JSON_DEPTH = 32  # COCO and YouTube-VIS need 6
MAX_ANNOTATIONS_PER_FILE = 2_000_000  # masks in one file or dataset folder
MAX_POLYGON_VERTICES = 20_000  # per polygon (one part of an object)
# Total outline length of one annotation's polygons in pixels (each edge counted as its longer
# side). pycocotools rasterises an outline point by point: 4 million pixels cost about 180 MB
# and half a second; a zig-zag across the image is what this stops.
MAX_POLYGON_LENGTH = 4_000_000
MAX_INSTANCES_PER_IMAGE = 2_000  # evaluation pairs every prediction with every truth in an image
MAX_YOLO_LABEL_FILE_BYTES = 64 * 1024**2
MAX_YAML_BYTES = 1024**2  # data.yaml

# Names that end up in the database, the window and exports.
MAX_LABEL_LENGTH = 100
MAX_FILE_NAME_LENGTH = 1_000  # a relative path written in an annotation file
