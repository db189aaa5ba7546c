"""Errors whose message is meant for the user: the CLI prints them as one line, the GUI in a box."""


class VideoSegError(Exception):
    """Base of every error caused by the user's input or environment (not a bug)."""


class ProjectError(VideoSegError):
    """A project folder or database that cannot be created, opened or read."""


class ProjectLockedError(ProjectError):
    """Another process has the project open for writing."""


class ProjectReadOnlyError(ProjectError):
    """A change was asked of a project opened read-only (by choice, or on a read-only disk)."""


class StorageError(ProjectError):
    """The disk or the database file failed: full, damaged, unreadable or not writable."""


class SchemaTooNewError(ProjectError):
    """The database was written by a newer version of the application."""


class MediaError(VideoSegError):
    """A file that cannot be imported or decoded."""


class ModelError(VideoSegError):
    """A model or checkpoint that cannot be found, downloaded or loaded."""


class ExportError(VideoSegError):
    """An export, annotation import or evaluation that cannot proceed."""
