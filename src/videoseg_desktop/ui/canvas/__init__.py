"""The image canvas: view, overlays of masks and prompts, and what draws on it."""
