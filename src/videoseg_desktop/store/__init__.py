"""The project on disk: folder layout, SQLite database, repositories and import. No Qt, no torch."""

from videoseg_desktop.store.database import Change
from videoseg_desktop.store.masks import MaskWrite
from videoseg_desktop.store.project import DB_NAME, Project

__all__ = ["DB_NAME", "Change", "MaskWrite", "Project"]
