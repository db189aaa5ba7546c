"""VideoSeg Desktop: segmentation annotation for images and videos with SAM 2.1."""

__version__ = "0.1.0"
