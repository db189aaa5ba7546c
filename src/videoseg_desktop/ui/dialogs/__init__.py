"""Dialogs of the main window (new project, export, model setup)."""
