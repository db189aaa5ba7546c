"""SAM 2.1 inference: model registry, checkpoints, image and video sessions. No Qt.

torch and sam2 are imported lazily inside functions so that importing this package is cheap.
"""
