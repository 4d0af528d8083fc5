"""render-pairs on a Ray cluster: a local one of 2 CPUs, real Mitsuba renders in its workers."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray  # the [test] extra installs it

from mcdenoise.config import PairJob
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.errors import SceneError
from mcdenoise.render.farm import RayFarm
from mcdenoise.render.job import PairRendering, render_pairs

from conftest import run_cli_process

#: 4 views of one pair and a reference each, at 4096 pixels: 12 tasks of a fraction of a second.
JOB = PairJob(views=4, pairs=1, pixels=4096, reference_spp=16)


@pytest.fixture(scope="module")
def farm():
    farm = RayFarm(cpus=2)
    yield farm
    ray.shutdown()


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _ray_task_pids() -> list[int]:
    """Processes of Ray workers running a render task (Ray titles them ``ray::<task>``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::_render_task"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def test_ray_writes_the_same_bytes_as_a_local_run_and_resumes_one(farm, tmp_path):
    render_pairs(DEMO_SCENE, tmp_path / "local", JOB)
    render_pairs(DEMO_SCENE, tmp_path / "ray", JOB, farm=farm)
    expected = _files(tmp_path / "local")
    assert len(expected) == 1 + 4 * 3  # the manifest, and each view's A, B and reference
    assert _files(tmp_path / "ray") == expected
    # A job begun here (views 0 and 2) and finished on the farm is the same folder too.
    render_pairs(DEMO_SCENE, tmp_path / "resumed", JOB, views=[0, 2])
    render_pairs(DEMO_SCENE, tmp_path / "resumed", JOB, farm=farm)
    assert _files(tmp_path / "resumed") == expected


def test_a_killed_ray_worker_loses_nothing(farm, tmp_path):
    job = PairJob(views=6, pairs=1, pixels=4096, spp=64, seed=7)
    render_pairs(DEMO_SCENE, tmp_path / "local", job)
    killed = []

    def kill_a_worker():
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for pid in _ray_task_pids():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    render_pairs(DEMO_SCENE, tmp_path / "ray", job, farm=farm)
    killer.join()
    assert killed, "no Ray worker was seen rendering"
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")
    assert not [p for p in (tmp_path / "ray").iterdir() if p.name.startswith(".")]  # no partial file or lock is left


def test_ray_missing_says_what_to_install(tmp_path):
    shadow = tmp_path / "shadow" / "ray"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "mcdenoise", "--quiet", "render-pairs", str(DEMO_SCENE), "--out", str(tmp_path / "out"), "--ray"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["mcdenoise: error: render-pairs --ray needs Ray: pip install 'mcdenoise[ray]'"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:1", "cannot reach the Ray cluster at 127.0.0.1:1 (Connection refused)"),
        ("nonsense", "--ray nonsense: not a Ray address; give auto, HOST:PORT or ray://HOST:PORT"),
    ],
)
def test_a_ray_cluster_that_is_not_there_fails_in_one_line_at_once(address, message, tmp_path):
    result = run_cli_process("render-pairs", DEMO_SCENE, "--out", tmp_path / "out", "--ray", address, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"mcdenoise: error: {message}"]
    assert not (tmp_path / "out").exists()


def test_a_worker_that_sees_another_scene_file_fails_the_job_in_one_line(farm, tmp_path):
    scene = tmp_path / "scene" / "scene.xml"
    shutil.copytree(DEMO_SCENE.parent, scene.parent)
    rendering = PairRendering(scene, tmp_path / "out", JOB)
    settings = rendering.settings()  # what the driver hashed
    scene.write_text(scene.read_text() + "<!-- edited on this node -->\n")  # what a worker will open
    with pytest.raises(SceneError, match="this worker's copy of the scene differs from the driver's"):
        list(farm.render(rendering, [(0, 0)], settings))
