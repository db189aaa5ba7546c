from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.demo import FPS, SECONDS, create_demo_project
from videoseg_desktop.store import Project


def test_demo_project_has_real_media_and_two_labels(tmp_path):
    root = create_demo_project(tmp_path / "demo")
    assert create_demo_project(root) == root  # idempotent: reopening reuses it
    with Project.open(root, read_only=True) as project:
        assert [lb.name for lb in project.labels.list()] == ["ball", "ring"]
        media = project.media.list()
        assert [m.kind for m in media] == [MediaKind.VIDEO] + [MediaKind.IMAGE] * 3
        assert media[0].frame_count == FPS * SECONDS
        frames = project.open_frames(media[0])
        first, later = frames.read(0), frames.read(FPS * SECONDS - 1)
        frames.close()
        assert first.shape == (360, 640, 3)
        assert (first != later).any()  # the shapes move
