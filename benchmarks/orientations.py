"""How much a model's score on the one test frame depends on luck: the test frame denoised in its 8
flips and 90-degree rotations, each scored, and the mean of the 8 outputs (self-ensembling).

    python benchmarks/orientations.py                       # base + 10 min, 4 pairs, every cached scene
    python benchmarks/orientations.py --split-emission      # the same models trained with the emission split

The network was trained on crops in all 8 orientations, so each orientation is an equally valid
denoiser of the same frame; their spread shows how far a single figure (relMSE above all, which a
few pixels beside a light can dominate) would move with another, equally good model. Reads the
cache and models of ``python benchmarks/quality.py --tracks box --train-pairs 4 --base-budgets 10``
(with ``--split-emission`` for that option), box track. Writes OUT/orientations[-split].json.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from cached_frames import CACHE
from quality import spp_equivalent

from mcdenoise.denoise.ensemble import ORIENTATIONS, oriented, restored
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import COLOR
from mcdenoise.io.exr import Frame, read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.metrics import psnr_t, rel_mse
from mcdenoise.render.renderer import EMISSION_SAMPLER

HERE = Path(__file__).parent


def raw_curve(root: Path, reference: np.ndarray) -> dict[int, float]:
    """relMSE of plain rendering per spp, from quality.py's cached raw frames (mean of each pair)."""
    curve = {}
    for folder in sorted(root.glob("spp*")):
        frames = [read_exr(folder / frame_name(0, 0, side)).stack(COLOR) for side in "ab"]
        curve[int(folder.name[3:])] = float(np.mean([rel_mse(f, reference) for f in frames]))
    return curve


def score_scene(root: Path, model: Path, test: Path) -> dict:
    """Scores of each orientation's output and of their mean."""
    reference = read_exr(root / "test" / frame_name(0, None, "ref")).stack(COLOR)
    curve = raw_curve(root, reference)
    frame = read_exr(test / frame_name(0, 0, "a"))
    denoiser = Denoiser.load(model, device="cpu")
    outputs, rows = [], {}
    for turns, flip in ORIENTATIONS:
        turned = Frame({k: oriented(v, turns, flip) for k, v in frame.channels.items()}, frame.attributes)
        outputs.append(restored(denoiser.denoise_frame(turned), turns, flip))
        rows[f"{'flip + ' if flip else ''}{90 * turns} deg"] = outputs[-1]
    for count in (2, 4, 8):  # what Denoiser(orientations=count) gives
        rows[f"mean of {count}"] = np.mean(outputs[:count], axis=0)
    scores = {}
    for name, image in rows.items():
        error = rel_mse(image, reference)
        scores[name] = {"psnr_t": psnr_t(image, reference), "rel_mse": error, "spp_equivalent": spp_equivalent(error, curve)}
    return {"model": model.name, "test": str(test.relative_to(root.parent)), "rows": scores}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--split-emission", action="store_true", help="score the models trained with --split-emission")
    parser.add_argument("--emission-spp", type=int, default=64, help="spp of the test frame's emission pass (as quality.py)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "orientations")
    args = parser.parse_args(argv)
    suffix = "-split" if args.split_emission else ""
    results = {}
    for root in sorted(args.cache.glob(f"*-{args.pixels}px")):
        scene = root.name.rsplit("-", 1)[0]
        model = args.cache / "models" / f"{scene}-box-base-10-p4{suffix}.pt"
        test = root / "box" / (f"test-split-{EMISSION_SAMPLER}{args.emission_spp}" if args.split_emission else "test")
        if not model.is_file() or not test.is_dir():
            print(f"{scene}: no {model.name} or {test.name} in the cache; skipped")
            continue
        results[scene] = score_scene(root / "box", model, test)
        for name, s in results[scene]["rows"].items():
            print(f"{scene:24s} {name:14s} {s['psnr_t']:6.2f} dB  relMSE {s['rel_mse']:.5f}  {s['spp_equivalent']:6.1f}x", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"orientations{suffix}.json").write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
