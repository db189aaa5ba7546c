"""Errors whose message is meant for the user: the CLI prints them as one line, the GUI in a box."""

import errno


class VideoSegError(Exception):
    """Base of every error caused by the user's input or environment (not a bug)."""


class ProjectError(VideoSegError):
    """A project folder or database that cannot be created, opened or read."""


class ReadOnlyAdvisedError(ProjectError):
    """The project cannot be opened for writing here, but it can be opened read-only."""


class ProjectLockedError(ReadOnlyAdvisedError):
    """Another process has the project open for writing."""


class ProjectReadOnlyError(ProjectError):
    """A change was asked of a project opened read-only (by choice, or on a read-only disk)."""


class StorageError(ProjectError):
    """The disk or the database file failed: full, damaged, unreadable or not writable."""


class SchemaUpgradeNeededError(ProjectError):
    """Opened read-only, a project of an older schema cannot be upgraded."""


class SchemaTooNewError(ProjectError):
    """The database was written by a newer version of the application."""


class MediaError(VideoSegError):
    """A file that cannot be imported or decoded."""


class ModelError(VideoSegError):
    """A model or checkpoint that cannot be found, downloaded or loaded."""


class ExportError(VideoSegError):
    """An export, annotation import or evaluation that cannot proceed."""


def describe_os_error(exc: OSError) -> str:
    """One line for a failure of the disk or the file system (the CLI's and the window's)."""
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        return f"the disk is full{where}: nothing was saved half-way; free some space and retry"
    if exc.errno == errno.EROFS:
        return f"the disk is read-only{where}; open the project read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{where}"
    return f"{what}{where}"
