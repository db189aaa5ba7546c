import uuid

from videoseg_desktop.ui.project.single_instance import InstanceServer, forward_to_running_instance


def test_second_launch_hands_its_path_to_the_running_instance(qtbot):
    name = f"videoseg-test-{uuid.uuid4().hex[:8]}"
    assert forward_to_running_instance(["/x/project.vseg"], name) is False  # nobody running yet
    server = InstanceServer(name)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.open_requested, timeout=5000) as blocker:
            assert forward_to_running_instance(["/data/birds/project.vseg"], name)
        assert blocker.args == ["/data/birds/project.vseg"]
    finally:
        server.close()
        server.deleteLater()
        qtbot.wait(10)
