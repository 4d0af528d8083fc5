"""Render pairs of low-spp HDR frames with independent seeds, plus albedo, normal and depth.
Each EXR and manifest.json record the seeds, spp, variant, size and scene hash.
A rerun with the same options skips finished pairs (resume after a crash).
A .blend renders with Cycles on the CPU (pip install 'mcdenoise[blender]'): its first enabled
view layer, Cycles' denoiser and adaptive sampling off, the features from its denoising data
passes (normals in camera space); --filter box sets Cycles' box filter; --variant is unused.
"""

from dataclasses import dataclass

from mcdenoise.commands.spec import Command, Printed
from mcdenoise.config import PairJob
from mcdenoise.options import option

EXPOSED = ("spp", "seed", "views", "jitter", "pairs", "size", "pixels", "pixel_filter", "reference_spp", "variant")


@dataclass(frozen=True)
class RenderPairsConfig:
    """What ``render-pairs`` renders, and where."""

    scene: str = option(help="Mitsuba 3 scene file (scene.xml) or Blender file (scene.blend)", positional=True)
    out: str = option(help="output directory (created; reused to resume)")
    ray: str | None = option(
        None,
        "render the views on a Ray cluster (pip install 'mcdenoise[ray]'): join the one at ADDRESS (auto, HOST:PORT or "
        "ray://HOST:PORT), or start one on this machine without it. Workers return frames and this process writes them: "
        "the folder is the same byte for byte as a local run's. Every node needs mcdenoise and the scene at the same path",
        nargs="?",
        const="",
        metavar="ADDRESS",
    )
    job: PairJob = option(default_factory=PairJob, expose=EXPOSED + ("emission_split", "emission_spp"))


def run(config: RenderPairsConfig, show_progress: bool = False, log=None) -> Printed:
    """Render the pairs (on a Ray cluster with ``config.ray``); resumes an earlier run in ``config.out``."""
    from mcdenoise.render.job import render_pairs

    farm = None
    if config.ray is not None:
        from mcdenoise.render.farm import RayFarm

        farm = RayFarm(config.ray or None)
    manifest = render_pairs(config.scene, config.out, config.job, show_progress=show_progress, farm=farm)
    settings = manifest.settings
    return Printed([("out", f"{config.out}: {len(manifest.frames)} frames, {settings.width}x{settings.height}")])


EPILOG = (
    "examples:\n  mcdenoise render-pairs scene.xml --out renders/cbox --views 32 --pixels 16384 --reference-spp 1024\n"
    "  mcdenoise render-pairs shot.blend --out renders/shot\n"
    "  mcdenoise render-pairs scene.xml --out /shared/renders/cbox --ray auto   # on the Ray cluster this node is in"
)

COMMAND = Command("render-pairs", "render pairs of noisy frames of a Mitsuba 3 or Blender scene", __doc__, RenderPairsConfig, run, EPILOG)
