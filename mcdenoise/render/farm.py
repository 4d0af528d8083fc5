"""A render farm on Ray: the work items of a render-pairs job rendered by a cluster's workers.

Pairs are embarrassingly parallel: every frame's seed derives from its view and pair
(:func:`mcdenoise.io.pairs_dir.frame_seed`), and a frame's pixels depend on nothing else
(a view rendered alone, or after other views, or on one thread or many, gives the same bytes
with the box filter, render-pairs' default; a filter that spreads each sample over several
pixels, ``--filter scene``, makes Mitsuba's film add samples in the order its threads finish,
so there two runs on one machine already differ in the last bit of a few per cent of pixels,
and the farm's output differs from a local run's as much). So each work item of
:meth:`PairRendering.items` becomes a Ray task, and the job stays the job: this process
holds the folder's lock, keeps its manifest and writes every file.

**Where frames are written: here, by the driver.** Workers return their frames' arrays, and
the driver writes them with the same code as a local run. That is what makes the folder the
same byte for byte, what keeps half-written files out of sight (a worker killed mid-task has
written nothing; Ray runs its task again), and what lets workers run on machines that share
no file system with the driver's output. They do need the scene: its file (and the files it
names) at the same path on every node, and mcdenoise installed. The cost is that every frame
crosses the network to the driver, about 2.5 MB for a frame of 65,536 pixels with its features;
docs/scale.md says where that stops scaling.

Each task takes one CPU and renders on one thread, or one GPU (``num_gpus=1``) where the cluster
has GPUs, where Mitsuba's ``auto`` variant picks ``cuda_ad_rgb``.
"""

import logging
import socket
import warnings
from collections import deque
from collections.abc import Iterator

from mcdenoise.errors import JobError, McDenoiseError, SceneError
from mcdenoise.io.pairs_dir import RenderSettings
from mcdenoise.render.backend import ItemFrames

#: Times Ray runs a task again after its worker died (killed, out of memory, node lost).
TASK_RETRIES = 4
#: Tasks submitted ahead of the one being written, per CPU (or GPU) of the cluster: enough to keep
#: every worker busy, few enough that finished frames waiting for an earlier one stay few.
TASKS_AHEAD_PER_WORKER = 2

_INSTALL_HINT = "render-pairs --ray needs Ray: pip install 'mcdenoise[ray]'"


def _ray():
    try:
        import ray
    except ImportError:
        raise JobError(_INSTALL_HINT) from None
    return ray


class RayFarm:
    """A connection to a Ray cluster that renders work items of :class:`PairRendering` jobs.

    ``address`` is a running cluster's (``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``); None
    starts a local cluster on this machine's CPUs (``cpus`` of them, if given) for as long as this
    process runs. Raises :class:`JobError` when Ray is not installed or the cluster cannot be reached.
    """

    def __init__(self, address: str | None = None, cpus: int | None = None):
        ray = _ray()
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # Ray's own, which repeat its error over lines of their own
                    ray.init(
                        address=address,
                        num_cpus=cpus if address is None else None,
                        include_dashboard=False,
                        logging_level=logging.ERROR,
                        configure_logging=address is None,
                    )
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise JobError(f"cannot join the Ray cluster at {address or 'a new local cluster'}: {str(error).splitlines()[0]}") from None
        resources = ray.cluster_resources()
        self.gpus = int(resources.get("GPU", 0))
        self.workers = self.gpus or max(int(resources.get("CPU", 1)), 1)
        self._task = ray.remote(_render_task).options(num_cpus=1, num_gpus=1 if self.gpus else 0, max_retries=TASK_RETRIES)

    def render(self, rendering, work: list, settings: RenderSettings) -> Iterator[tuple[int, int | None, ItemFrames]]:
        """(view, pair, frames) of each item of ``work`` in its order, as
        :meth:`PairRendering.render` gives them, rendered by the cluster's workers. Closing
        the iterator early cancels the tasks still queued or running."""
        ray = _ray()
        job = (str(rendering.scene_path), rendering.job, rendering.replay)
        queued = iter(work)
        running: deque = deque()
        try:
            while True:
                while len(running) < TASKS_AHEAD_PER_WORKER * self.workers:
                    item = next(queued, None)
                    if item is None:
                        break
                    running.append((*item, self._task.remote(*job, settings, *item)))
                if not running:
                    return
                view, pair, result = running.popleft()
                yield view, pair, _result_of(ray, result, view, pair)
        finally:
            for *_, result in running:
                ray.cancel(result, force=True)


def _check_reachable(address: str | None, seconds: float = 5.0) -> None:
    """Raise :class:`JobError` at once when ``address`` names a HOST:PORT (or ray://HOST:PORT) that
    takes no connection; Ray itself would retry for minutes."""
    if not address or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise JobError(f"--ray {address}: not a Ray address; give auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as error:
        raise JobError(f"cannot reach the Ray cluster at {address} ({error.strerror or error})") from None


def _result_of(ray, result, view: int, pair: int | None) -> ItemFrames:
    """A task's frames, or the error that it raised, as an mcdenoise error."""
    try:
        return ray.get(result)
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, McDenoiseError):
            raise error.cause from None
        raise JobError(f"view {view} pair {pair}: the Ray task failed ({_first_line(error.cause)})") from None
    except ray.exceptions.RayError as error:  # a worker that died more often than it was retried, a lost node
        raise JobError(f"view {view} pair {pair}: the Ray cluster could not render it ({_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


#: The rendering that this worker process opened last: (key, PairRendering, its settings, with the
#: scene file's hash as this worker read it). Opening a scene takes seconds, so a worker keeps it for
#: the job's next task.
_opened: list = []


def _render_task(scene_path: str, job, replay: bool, settings: RenderSettings, view: int, pair: int | None) -> ItemFrames:
    """A Ray task: the frames of one work item of a render-pairs job, rendered in a worker."""
    from mcdenoise.render.job import PairRendering

    key = (scene_path, repr(job), replay)
    if not _opened or _opened[0][0] != key:
        import drjit

        drjit.set_thread_count(1)  # a task takes one CPU: Ray runs as many tasks as the node has
        rendering = PairRendering(scene_path, None, job, replay)
        _opened[:] = [(key, rendering, rendering.settings())]
    _, rendering, own_settings = _opened[0]
    if own_settings != settings:
        raise SceneError(
            f"{scene_path}: this worker's copy of the scene differs from the driver's "
            "(each node needs the same scene files at the same path)"
        )
    return rendering.render(view, pair, settings)
