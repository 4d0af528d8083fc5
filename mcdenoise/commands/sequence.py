"""Render a sequence: --frames frames of a camera move through a Mitsuba 3 scene, each as a pair
of low-spp frames with independent seeds (albedo, normal and depth as render-pairs writes them),
plus motion.X and motion.Y: where each pixel's first hit was in the frame before, in pixels
(the first frame's is 0). Frame 0 is the scene's own camera. The folder is a render-pairs
folder whose views are the frames in order, so 'mcdenoise train' reads it as it is; a rerun with
the same options resumes.
"""

from dataclasses import dataclass, replace

from mcdenoise.commands.spec import Command, Printed
from mcdenoise.config import CameraPath, PairJob
from mcdenoise.options import option, whole_number

#: The render options of a sequence (its views are its frames, one pair each).
EXPOSED = ("spp", "seed", "size", "pixels", "pixel_filter", "variant")


@dataclass(frozen=True)
class SequenceOptions:
    """The scene, output folder, frame count and camera move of ``render-sequence`` and ``live``."""

    scene: str = option(help="Mitsuba 3 scene file (scene.xml)", positional=True)
    out: str = option(help="output directory (created; reused to resume)")
    frames: int = option(60, "frames of the sequence", parse=whole_number(1))
    path: CameraPath = option(default_factory=CameraPath)

    def job(self, job: PairJob) -> PairJob:
        """``job`` made a sequence: one pair per frame along the camera move."""
        return replace(job, views=self.frames, pairs=1, path=self.path)


@dataclass(frozen=True)
class RenderSequenceConfig:
    """What ``render-sequence`` renders, and where."""

    sequence: SequenceOptions
    job: PairJob = option(default_factory=PairJob, expose=EXPOSED + ("reference_spp",))


def run(config: RenderSequenceConfig, show_progress: bool = False, log=None) -> Printed:
    """Render the sequence's pairs; resumes an earlier run in its folder."""
    from mcdenoise.render.job import render_pairs

    sequence = config.sequence
    job = sequence.job(config.job)
    manifest = render_pairs(sequence.scene, sequence.out, job, show_progress=show_progress)
    size = f"{manifest.settings.width}x{manifest.settings.height}"
    return Printed([("out", f"{sequence.out}: {sequence.frames} frames along {job.path.move}, {size}")])


EPILOG = (
    "camera moves (--path):\n"
    "  still        the scene's camera, new seeds every frame\n"
    "  orbit        turn --degrees in all around the vertical axis through the point looked at\n"
    "  dolly        move --dolly of the distance towards the point looked at\n"
    '  KEYS.json    a list of keyframes, e.g. [{"origin": [0, 1, 5], "target": [0, 1, 0], "up": [0, 1, 0],\n'
    '               "fov": 40}, ...], spread evenly over the frames (up and fov optional)\n'
    "example:\n  mcdenoise render-sequence scene.xml --out renders/orbit --frames 60 --path orbit --reference-spp 1024"
)

COMMAND = Command(
    "render-sequence",
    "render the frames of a camera move as noisy pairs, with motion to the frame before",
    __doc__,
    RenderSequenceConfig,
    run,
    EPILOG,
)
