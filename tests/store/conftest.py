"""Fixtures shared by the work-package tests."""

from __future__ import annotations

import pytest

from tests.helpers.team import make_source


@pytest.fixture
def source(tmp_path, monkeypatch, request):
    """The source project "Streets", written by "lead": ``SOURCE_IMAGES`` pictures (a test
    module's own, else 2), each with one clicked car."""
    monkeypatch.setenv("VIDEOSEG_USER", "lead")
    project = make_source(tmp_path, getattr(request.module, "SOURCE_IMAGES", 2))
    yield project
    project.close()
