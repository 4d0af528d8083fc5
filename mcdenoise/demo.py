"""The demo: the whole loop on the bundled Cornell box, in a few CPU minutes.

Render 32 jittered views as noisy pairs, fine-tune the bundled base model on
them with Noise2Noise, denoise a held-out frame from the scene's own camera,
and score the input, the base model alone and the fine-tuned model against a
high-spp reference.
"""

from dataclasses import dataclass
from pathlib import Path

from mcdenoise.config import PairJob, TrainConfig
from mcdenoise.denoise.apply import apply_file
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.preview import side_by_side, write_png
from mcdenoise.features import COLOR
from mcdenoise.io.bundled import BASE_MODEL
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.train import train
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs

BUNDLED_SCENES = Path(__file__).parent / "data" / "scenes"
DEMO_SCENE = BUNDLED_SCENES / "mitsuba_cbox" / "scene.xml"


@dataclass
class DemoResult:
    """Scores of the held-out frame and where the outputs went."""

    noisy_psnr: float
    denoised_psnr: float
    denoised_path: Path
    preview_path: Path
    #: PSNR_T of the bundled base model before fine-tuning (None without one).
    base_psnr: float | None = None


def run_demo(
    work_dir="renders/demo",
    minutes: float = 6.0,
    pixels: int = 16384,
    views: int = 32,
    reference_spp: int = 2048,
    variant: str = "auto",
    device: str = "auto",
    show_progress: bool = False,
    log=None,
) -> DemoResult:
    """Run render-pairs, train, apply and scoring in ``work_dir``; reruns resume. ``log`` (such as
    ``print``) receives a line per step and the scores."""
    log = log or (lambda line: None)
    work = Path(work_dir)
    train_dir, test_dir, model_path = work / "train", work / "test", work / "model.pt"
    log(f"1/4 rendering {views} training pairs of {DEMO_SCENE.parent.name} at 4 spp")
    render_pairs(DEMO_SCENE, train_dir, PairJob(pairs=1, views=views, pixels=pixels, variant=variant), show_progress)
    log(f"2/4 rendering the held-out test view (scene camera) at 4 spp and a {reference_spp} spp reference")
    render_pairs(
        DEMO_SCENE, test_dir, PairJob(pairs=1, views=1, pixels=pixels, seed=2, reference_spp=reference_spp, variant=variant), show_progress
    )
    noisy_frame = read_exr(test_dir / frame_name(0, 0, "a"))
    reference = read_exr(test_dir / frame_name(0, None, "ref")).stack(COLOR)
    base_psnr = None
    if BASE_MODEL.is_file():
        base_psnr = psnr_t(Denoiser.load(BASE_MODEL, device=device).denoise_frame(noisy_frame), reference)
        log(f"   the base model alone: PSNR_T {base_psnr:.2f} dB (noisy {psnr_t(noisy_frame.stack(COLOR), reference):.2f} dB)")
    log(f"3/4 training Noise2Noise for {minutes:g} minutes")
    train(
        [train_dir],
        model_path,
        TrainConfig(minutes=minutes),
        device=device,
        validation_directories=[test_dir],
        show_progress=show_progress,
        log=log,
    )
    log("4/4 denoising the held-out frame")
    denoiser = Denoiser.load(model_path, device=device)
    output = apply_file(denoiser, test_dir / frame_name(0, 0, "a"), work / "test_denoised.exr").output
    noisy, denoised = noisy_frame.stack(COLOR), read_exr(output).stack(COLOR)
    preview = work / "demo.png"
    write_png(preview, side_by_side([noisy, denoised, reference]))
    result = DemoResult(psnr_t(noisy, reference), psnr_t(denoised, reference), output, preview, base_psnr)
    log(
        f"PSNR_T against the {reference_spp} spp reference: noisy 4 spp {result.noisy_psnr:.2f} dB, "
        f"denoised {result.denoised_psnr:.2f} dB ({result.denoised_psnr - result.noisy_psnr:+.2f} dB)"
    )
    log(f"wrote {output} and {preview} (noisy | denoised | reference)")
    return result
