"""One frame, no training set (issue 39): two 2 spp halves, merged, denoised and corrected, against OIDN.

    python benchmarks/correct.py            # the tuning scenes, then the held-out ones (about 15 minutes)

For each scene's own camera (box filter, ~65536 px; the quality benchmark's test view and its
2048 spp reference, cached under benchmarks/cache/ and shared with quality.py) it renders the
frame as two 2 spp halves with seeds of their own. With Mitsuba's independent sampler the two
halves merged are a 4 spp frame, so OIDN on that frame is the peer, sample for sample. Rows:

- OIDN 2.5 on the 4 spp frame (the peer); on another 4 spp render of the view (the seed's spread);
  on each half, averaged;
- the paper's output: a corrector (:mod:`mcdenoise.denoise.correct`) fitted to the halves, both
  corrected halves averaged, with no check;
- the retired ``apply --other-half --adapt 60``: the base that corrects OIDN, fine-tuned 60 s on
  the halves, then run on the 4 spp frame;
- ``apply --other-half``: the 4 spp frame through OIDN, corrected behind the held-out tiles'
  check (:meth:`~mcdenoise.denoise.hook.Denoiser.corrected`); and the same with OIDN run in 8
  orientations, and that without the correction.

and, for half A's outputs, the reference-free estimate of ``eval --other-half`` beside the true
relMSE. Scenes in --held-out were kept out of all tuning: their rows are reported apart.
Writes OUT/correct.json, its tables OUT/tables/correct.json (benchmarks/table.py) and per scene
OUT/crops/SCENE.png: the noisy 4 spp frame | OIDN | apply --other-half --orientations 8 |
reference, 128² where the last two differ most.
"""

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from table import Provenance, Table, Tables, source_of, write_tables

from mcdenoise.config import PairJob
from mcdenoise.denoise.correct import STEPS, Corrector, oidn_half
from mcdenoise.denoise.evaluate import box_mean, estimated_error
from mcdenoise.denoise.hook import Denoiser
from mcdenoise.denoise.preview import side_by_side, write_png
from mcdenoise.features import COLOR
from mcdenoise.io.exr import read_exr
from mcdenoise.io.pairs_dir import frame_name
from mcdenoise.learn.device import cpu_model
from mcdenoise.metrics import psnr_t, rel_mse
from mcdenoise.render.job import render_pairs

HERE = Path(__file__).resolve().parent
SCENES = HERE.parent.parent / "shared" / "scenes"
#: The quality benchmark's test view: its seed, and the halves' seed, of their own.
TEST_SEED, HALVES_SEED = 1000, 6000
TUNING = ["mitsuba_cbox", "mitsuba_docs_glass", "mitsuba_docs_normalmap"]
HELD_OUT = ["bitterli_veach_mis", "mitsuba_matpreview"]
PEER, PRODUCT, ORIENTED = "OIDN, 4 spp frame", "apply --other-half --orientations 8", "OIDN in 8 orientations, 4 spp frame"
ADAPT_SECONDS = 60.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=TUNING, help="scenes used in tuning")
    parser.add_argument("--held-out", nargs="*", default=HELD_OUT, help="scenes kept out of all tuning, reported apart")
    parser.add_argument("--pixels", type=int, default=65536)
    parser.add_argument("--reference-spp", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=STEPS, help="the corrector's training steps")
    parser.add_argument("--adapt-seconds", type=float, default=ADAPT_SECONDS, help="the retired --adapt's budget (0: no row)")
    parser.add_argument("--cache", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "correct")
    parser.add_argument("--tables", action="store_true", help="measure nothing: write the tables again from OUT/correct.json")
    return parser.parse_args(argv)


def timed(outputs: dict, seconds: dict, name: str, make):
    """Run ``make()``, keeping its image as row ``name`` and its wall time; returns the image."""
    started = time.monotonic()
    outputs[name] = make()
    seconds[name] = time.monotonic() - started
    return outputs[name]


def score_scene(scene: str, args, held_out: bool) -> dict:
    """One scene's record: each row's PSNR_T, relMSE and seconds, and half A's estimates beside the truth."""
    root = args.cache / f"{scene}-{args.pixels}px" / "box"
    common = {"pixels": args.pixels, "pixel_filter": "box", "views": 1, "pairs": 1}
    xml = SCENES / scene / "scene.xml"
    render_pairs(xml, root / "test", PairJob(seed=TEST_SEED, reference_spp=args.reference_spp, **common))
    render_pairs(xml, root / "halves", PairJob(spp=2, seed=HALVES_SEED, **common))
    reference = read_exr(root / "test" / frame_name(0, None, "ref")).stack(COLOR)
    a, b = (read_exr(root / "halves" / frame_name(0, 0, side)) for side in "ab")
    plain, eight = Denoiser.base("oidn", device="cpu"), Denoiser.base("oidn", device="cpu", orientations=8)
    outputs, seconds = {}, {}
    timed(outputs, seconds, PEER, lambda: plain.denoise_merged(a, b))
    timed(outputs, seconds, "OIDN, another 4 spp render", lambda: oidn_half(read_exr(root / "test" / frame_name(0, 0, "a"))).denoised)
    halves = [oidn_half(frame) for frame in (a, b)]
    timed(outputs, seconds, "OIDN, each half", lambda: (halves[0].denoised + halves[1].denoised) / 2)
    corrector = Corrector(len(halves[0].guides()))

    def corrected_halves():
        corrector.fit(*halves, steps=args.steps)
        return (corrector.correct(halves[0]) + corrector.correct(halves[1])) / 2

    timed(outputs, seconds, "corrected halves, unchecked", corrected_halves)
    if args.adapt_seconds:
        name = f"--adapt {args.adapt_seconds:g} s (retired)"
        timed(outputs, seconds, name, lambda: plain.adapted_to(a, b, seconds=args.adapt_seconds).denoise_merged(a, b))
    kept = {}
    for name, denoiser in (("apply --other-half", plain), (PRODUCT, eight)):
        correction = denoiser.corrected(a, b, steps=args.steps)
        outputs[name], seconds[name], kept[name] = correction.color, correction.seconds, correction.kept
    timed(outputs, seconds, ORIENTED, lambda: eight.denoise_merged(a, b))
    (args.out / "crops").mkdir(parents=True, exist_ok=True)
    merged = (a.stack(COLOR) + b.stack(COLOR)) / 2
    write_png(args.out / "crops" / f"{scene}.png", crops([merged, outputs[PEER], outputs[PRODUCT], reference]))
    other = b.stack(COLOR)
    candidates = {
        "OIDN": halves[0].denoised,
        "OIDN in 8 orientations": eight.denoise_frame(a),
        "the base model": Denoiser.base("none", device="cpu").denoise_frame(a),
        "corrected": corrector.correct(halves[0]),
        "noisy": halves[0].color,
    }
    return {
        "scene": scene,
        "held_out": held_out,
        "kept": kept,
        "rows": {
            name: {"psnr_t": psnr_t(image, reference), "rel_mse": rel_mse(image, reference), "seconds": seconds[name]}
            for name, image in outputs.items()
        },
        "estimates": {
            name: {"estimate": estimated_error(image, other), "rel_mse": rel_mse(image, reference)} for name, image in candidates.items()
        },
    }


def crops(images: list, side: int = 128) -> np.ndarray:
    """``side``² crops of ``images`` side by side, where the second and third differ most (tonemapped, over 17² pixels)."""
    difference = np.abs(images[1] / (1 + images[1]) - images[2] / (1 + images[2])).sum(-1, keepdims=True)
    y, x = np.unravel_index(np.argmax(box_mean(difference, 8)[..., 0]), difference.shape[:2])
    top, left = (int(np.clip(c - side // 2, 0, n - side)) for c, n in ((y, difference.shape[0]), (x, difference.shape[1])))
    return side_by_side([image[top : top + side, left : left + side] for image in images])


#: Two outputs whose true relMSE differ by less than this share are a tie that no estimate need order.
TIE = 0.05


def agreement(estimates: dict) -> str:
    """How many pairs of outputs, of those whose true relMSE differ by :data:`TIE` or more, the
    estimate orders as the truth does: ``"k of n"``."""
    names = list(estimates)
    pairs = [(x, y) for i, x in enumerate(names) for y in names[i + 1 :]]
    apart = [(x, y) for x, y in pairs if abs(estimates[x]["rel_mse"] / estimates[y]["rel_mse"] - 1) >= TIE]

    def ordered(x: str, y: str, key: str) -> bool:
        return estimates[x][key] < estimates[y][key]

    same = sum(ordered(x, y, "estimate") == ordered(x, y, "rel_mse") for x, y in apart)
    return f"{same} of {len(apart)}"


def summary(records: list[dict]) -> str:
    """The README's line: the product against the peer, tuning and held-out scenes apart."""

    def gains(chosen: list[dict], row: str) -> list[float]:
        return [r["rows"][row]["psnr_t"] - r["rows"][PEER]["psnr_t"] for r in chosen]

    def part(chosen: list[dict]) -> str:
        product, ratios = gains(chosen, PRODUCT), [r["rows"][PRODUCT]["rel_mse"] / r["rows"][PEER]["rel_mse"] for r in chosen]
        return (
            f"{min(product):+.2f} to {max(product):+.2f} dB PSNR_T (mean {statistics.mean(product):+.2f}; "
            f"OIDN in 8 orientations alone {statistics.mean(gains(chosen, ORIENTED)):+.2f}) and "
            f"{min(ratios):.2f}x to {max(ratios):.2f}x its relMSE"
        )

    tuning, held = [r for r in records if not r["held_out"]], [r for r in records if r["held_out"]]
    seconds = max(r["rows"][PRODUCT]["seconds"] for r in records)
    line = "One frame as two 2 spp halves, no training: `apply A.exr --other-half B.exr --orientations 8` against OIDN 2.5 "
    line += "on the 4 spp frame: "
    line += f"{part(tuning)} on {len(tuning)} tuning scenes"
    line += f", {part(held)} on {len(held)} held out" if held else ""
    return line + f"; at most {seconds:.0f} s a frame of {records[0]['pixels']:,} px."


def _cell(row: dict) -> str:
    return f"{row['psnr_t']:.2f} / {row['rel_mse']:.4f} / {row['seconds']:.1f}"


def tables(records: list[dict], provenance: Provenance) -> Tables:
    """PSNR_T / relMSE / seconds per scene and row, and the estimates beside the truth."""
    names = list(records[0]["rows"])
    label = {r["scene"]: r["scene"] + (" (held out)" if r["held_out"] else "") for r in records}
    quality = Table(
        "PSNR_T, dB / relMSE / seconds, on each scene's test view",
        ("scene", *names),
        tuple((label[r["scene"]], *(_cell(v) for v in r["rows"].values())) for r in records),
    )
    gains = Table(
        f"PSNR_T − {PEER}, dB",
        ("scene", *names[1:]),
        tuple((label[r["scene"]], *(r["rows"][n]["psnr_t"] - r["rows"][PEER]["psnr_t"] for n in names[1:])) for r in records),
        ("", *("{:+.2f}" for _ in names[1:])),
    )
    candidates = list(records[0]["estimates"])
    held = Table(
        "eval --other-half: the estimate of half A's outputs against half B (lower is better), and their true relMSE",
        ("scene", *(f"{c}: estimate / relMSE" for c in candidates), f"pairs ordered as by relMSE (ties within {TIE:.0%} left out)"),
        tuple(
            (
                label[r["scene"]],
                *(f"{r['estimates'][c]['estimate']:.4f} / {r['estimates'][c]['rel_mse']:.4f}" for c in candidates),
                agreement(r["estimates"]),
            )
            for r in records
        ),
    )
    kept = "; ".join(f"{r['scene']}: " + ", ".join(f"{n} {'corrected' if k else 'OIDN'}" for n, k in r["kept"].items()) for r in records)
    notes = (summary(records), "What the held-out tiles' check kept: " + kept + ".")
    figures = tuple(f"../crops/{r['scene']}.png" for r in records)
    return Tables("One frame, no training set: the corrector (issue 39)", provenance, (quality, gains, held), notes, figures)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.tables:
        record = json.loads((args.out / "correct.json").read_text())
        write_tables(args.out, "correct", tables(record["records"], Provenance.of(record, *source_of(args.out, "correct.json"))))
        return
    records = []
    for scene, held_out in [(s, False) for s in args.scenes] + [(s, True) for s in args.held_out]:
        print(f"== {scene}{' (held out)' if held_out else ''}", flush=True)
        records.append(score_scene(scene, args, held_out) | {"pixels": args.pixels})
    command = "python benchmarks/correct.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"date": datetime.date.today().isoformat(), "machine": cpu_model(), "command": command, "records": records}
    (args.out / "correct.json").write_text(json.dumps(record, indent=1) + "\n")
    write_tables(args.out, "correct", tables(records, Provenance.of(record, *source_of(args.out, "correct.json"))))
    print(summary(records))


if __name__ == "__main__":
    main()
