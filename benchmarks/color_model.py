"""Issue 38: PSNR_T of a 4 spp frame with color alone, denoised by OIDN (color only), the color-only
model, and the full base with albedo and normal, against a 1024 spp reference.

    python benchmarks/color_model.py --seeds 1000 1001 1002 1003   # from the repository root
Scenes: the bundled Cornell box, benchmarks/scenes/caustics_sphere (both gaussian), and generated
scenes of seeds 1000-1005 (unseen: training used seeds 0-399), each with its own pixel filter.
"""

import argparse
import json
import re
from pathlib import Path

from mcdenoise.config import PairJob
from mcdenoise.demo import DEMO_SCENE
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.noise_correlation import guide_of, neighbour_difference_ratio
from mcdenoise.features import ALBEDO, COLOR, NORMAL
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.prior import oidn_denoise
from mcdenoise.metrics import psnr_t
from mcdenoise.render.job import render_pairs
from mcdenoise.render.scenes import write_generated_scenes


def main(argv=None) -> list[dict]:
    """Score each frame; writes OUT/psnr_t.json and returns its rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/cache/color"))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1000, 1006)))
    parser.add_argument("--extra", nargs="*", default=[], help="more color-only model files to score")
    args = parser.parse_args(argv)

    scenes = {"mitsuba_cbox": DEMO_SCENE, "caustics_sphere": Path("benchmarks/scenes/caustics_sphere/scene.xml")}
    for path in write_generated_scenes(args.out / "scenes", len(args.seeds), args.seeds[0]):
        scenes[path.parent.name] = path
    models = {"color-only model": Denoiser.load("color", device="cpu", precision="fp32")}
    models.update({Path(p).stem: Denoiser.load(p, device="cpu", precision="fp32") for p in args.extra})
    base = Denoiser.load("base", device="cpu", precision="fp32")
    rows = []
    for name, scene in scenes.items():
        folder = args.out / "frames" / name
        job = PairJob(pairs=1, views=1, spp=4, seed=11, pixels=16384, pixel_filter="scene", reference_spp=1024)
        render_pairs(scene, folder, job, show_progress=False)
        frame = read_exr(folder / frame_name(0, 0, "a"))
        reference = read_exr(folder / frame_name(0, None, "ref")).stack(COLOR)
        color = frame.stack(COLOR)
        alone = Frame({c: frame.channels[c] for c in COLOR})
        match = re.search(r'rfilter type="(\w+)"', scene.read_text())
        row = {
            "scene": name,
            "filter": match.group(1) if match else "box",
            "ratio": round(neighbour_difference_ratio(color, guide_of(frame)), 2),
            "noisy": psnr_t(color, reference),
            "OIDN color only": psnr_t(oidn_denoise(color), reference),
            "OIDN albedo+normal": psnr_t(oidn_denoise(color, frame.stack(ALBEDO), frame.stack(NORMAL)), reference),
        }
        for label, model in models.items():
            row[label] = psnr_t(model.denoise_frame(alone), reference)
        row["base (albedo+normal)"] = psnr_t(base.denoise_frame(frame), reference)
        rows.append(row)
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    (args.out / "psnr_t.json").write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
