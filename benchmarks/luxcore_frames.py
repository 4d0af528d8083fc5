"""Render frames of a small LuxCoreRender scene as a LuxCore user would, for benchmarks/foreign_renderer.py.

    python benchmarks/luxcore_frames.py --out DIR --views 8 --pairs 2 --spp 8 --size 128 --seed 1
    python benchmarks/luxcore_frames.py --out DIR --main-camera --pairs 1 --spp 8 --reference-spp 4096
    python benchmarks/luxcore_frames.py --out DIR --main-camera --pairs 1 --same-seed --outputs color

A renderer that mcdenoise has no code for: this script imports pyluxcore and numpy only, never
mcdenoise or torch (pyluxcore's tbbmalloc proxy aborts a process that also loads torch or bpy).
The scene is built in code with LuxCore's SDL properties: a closed room lit by a small emissive
quad in its ceiling (so most of the light is indirect), a red and a green wall, a checker-textured
floor, a glossy (glossy2) sphere, a metal (metal2) sphere and a matte box.

Each frame is rendered with the PATHCPU engine, the SOBOL sampler, ``renderengine.seed`` and
``batch.haltspp``, and its film outputs are saved as separate EXR files, each float32 with
channels R, G, B (in DEPTH's file, the depth in all three):

- ``NAME.exr``: ``RGB``, the linear radiance (not the tonemapped imagepipeline output);
- ``NAME_albedo.exr``: ``ALBEDO``; ``NAME_normal.exr``: ``AVG_SHADING_NORMAL`` (world space);
- ``NAME_depth.exr``: ``DEPTH`` (distance along the camera's axis).

NAME is ``VIEW_pPAIR_a`` and ``VIEW_pPAIR_b`` for the two frames of a pair (two seeds, or with
``--same-seed`` one), ``VIEW_ref`` for a reference. VIEW is ``v0``, ``v1``, ... (the scene's
camera moved a little, by a generator seeded with the view's index) or ``main`` (the scene's own
camera, never among the moved ones). PATHCPU checks ``batch.haltspp`` only when the session
polls its statistics, so a frame holds a little more than the asked samples, and not the same
number in every pixel: each frame's mean and range of samples per pixel (its ``SAMPLECOUNT``) is
reported. The pixel filter is LuxCore's default, Blackman-Harris (``--filter``): LuxCore draws
each sample's position from the filter and adds the sample to one pixel, so with any filter the
noise stays independent between pixels (the difference of two seeds of view v0 at 16 spp has a
correlation of -0.01 between neighbours in x and in y, with BLACKMANHARRIS, NONE or GAUSSIAN).

Frames already on disk are kept (a rerun renders what is missing); OUT/frames.json holds the record
of each frame rendered there. Prints one JSON line: the frames written or kept (``"kept": true``),
with their views, seeds, samples per pixel and render seconds.
"""

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

with contextlib.redirect_stdout(io.StringIO()):  # pyluxcore lists the libraries it loads on stdout
    import pyluxcore

#: The film outputs, by the name this script gives them, with LuxCore's output type and file suffix.
OUTPUTS = {
    "color": ("RGB", ""),
    "albedo": ("ALBEDO", "_albedo"),
    "normal": ("AVG_SHADING_NORMAL", "_normal"),
    "depth": ("DEPTH", "_depth"),
}
#: In the output folder: the record of each frame rendered there, by name, so that a kept frame keeps it.
FRAMES_LOG = "frames.json"
FILTERS = ("BLACKMANHARRIS", "NONE", "BOX", "GAUSSIAN", "MITCHELL_SS")
#: The scene's own camera: position, target, vertical field of view in degrees.
CAMERA = ((0.0, -1.85, 1.35), (0.0, 1.0, 0.95), 58.0)

MATERIALS = """
scene.textures.checks.type = checkerboard2d
scene.textures.checks.texture1 = 0.75 0.72 0.65
scene.textures.checks.texture2 = 0.12 0.12 0.14
scene.textures.checks.mapping.type = uvmapping2d
scene.textures.checks.mapping.uvscale = 8 8
scene.materials.floor.type = matte
scene.materials.floor.kd = checks
scene.materials.white.type = matte
scene.materials.white.kd = 0.72 0.72 0.7
scene.materials.red.type = matte
scene.materials.red.kd = 0.63 0.07 0.05
scene.materials.green.type = matte
scene.materials.green.kd = 0.12 0.45 0.09
scene.materials.glossy.type = glossy2
scene.materials.glossy.kd = 0.08 0.2 0.55
scene.materials.glossy.ks = 0.06 0.06 0.06
scene.materials.glossy.uroughness = 0.04
scene.materials.glossy.vroughness = 0.04
scene.materials.metal.type = metal2
scene.materials.metal.preset = gold
scene.materials.metal.uroughness = 0.12
scene.materials.metal.vroughness = 0.12
scene.materials.boxmat.type = matte
scene.materials.boxmat.kd = 0.7 0.55 0.3
scene.materials.lamp.type = matte
scene.materials.lamp.kd = 0.8 0.8 0.8
scene.materials.lamp.emission = 1 0.93 0.82
scene.materials.lamp.emission.gain = 50 50 50
"""


def quad(corners, uv_scale: float = 0.0):
    """A quad (two triangles) through four corners, counter-clockwise seen from the side its normal faces."""
    vertices = np.array(corners, dtype=np.float32)
    faces = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64)
    uvs = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32) * uv_scale if uv_scale else None
    return vertices, faces, None, uvs


def sphere(center, radius: float, rings: int = 24, segments: int = 48):
    """A UV sphere with smooth normals."""
    theta = np.linspace(0, np.pi, rings + 1)
    phi = np.linspace(0, 2 * np.pi, segments + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    normals = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1).reshape(-1, 3)
    vertices = np.asarray(center) + radius * normals
    index = np.arange((rings + 1) * (segments + 1)).reshape(rings + 1, segments + 1)
    a, b, c, d = index[:-1, :-1], index[1:, :-1], index[1:, 1:], index[:-1, 1:]
    faces = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)])
    return vertices.astype(np.float32), faces, normals.astype(np.float32), None


def box(center, size, angle: float):
    """A box standing on the floor, turned by ``angle`` radians about the vertical."""
    sx, sy, sz = (s / 2 for s in size)
    corners = np.array([[x, y, z] for z in (-sz, sz) for y in (-sy, sy) for x in (-sx, sx)], dtype=np.float32)
    turn = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    vertices = corners @ turn.T + np.asarray(center)
    sides = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    faces = np.array([tri for q in sides for tri in ((q[0], q[1], q[2]), (q[0], q[2], q[3]))])
    return vertices.astype(np.float32), faces, None, None


def build_scene() -> "pyluxcore.Scene":
    """The room: 4 x 4 x 3 units, closed, lit by a 0.7 x 0.7 emissive quad under its ceiling."""
    scene = pyluxcore.Scene()
    scene.Parse(pyluxcore.Properties().SetFromString(MATERIALS))
    w, h = 2.0, 3.0
    meshes = {
        "floor": (quad([(-w, -w, 0), (w, -w, 0), (w, w, 0), (-w, w, 0)], uv_scale=1.0), "floor"),
        "ceiling": (quad([(-w, -w, h), (-w, w, h), (w, w, h), (w, -w, h)]), "white"),
        "back": (quad([(-w, w, 0), (w, w, 0), (w, w, h), (-w, w, h)]), "white"),
        "front": (quad([(-w, -w, 0), (-w, -w, h), (w, -w, h), (w, -w, 0)]), "white"),
        "left": (quad([(-w, -w, 0), (-w, w, 0), (-w, w, h), (-w, -w, h)]), "red"),
        "right": (quad([(w, -w, 0), (w, -w, h), (w, w, h), (w, w, 0)]), "green"),
        "lamp": (quad([(-0.35, -0.35, h - 0.01), (-0.35, 0.35, h - 0.01), (0.35, 0.35, h - 0.01), (0.35, -0.35, h - 0.01)]), "lamp"),
        "glossy_ball": (sphere((-0.75, 0.55, 0.5), 0.5), "glossy"),
        "metal_ball": (sphere((0.8, -0.1, 0.38), 0.38), "metal"),
        "crate": (box((0.55, 1.1, 0.6), (0.8, 0.8, 1.2), 0.45), "boxmat"),
    }
    objects = []
    for name, ((vertices, faces, normals, uvs), material) in meshes.items():
        scene.DefineMesh(
            name,
            [tuple(map(float, v)) for v in vertices],
            [tuple(map(int, f)) for f in faces],
            None if normals is None else [tuple(map(float, n)) for n in normals],
            None if uvs is None else [tuple(map(float, uv)) for uv in uvs],
            None,
            None,
        )
        objects.append(f"scene.objects.{name}.shape = {name}\nscene.objects.{name}.material = {material}\n")
    scene.Parse(pyluxcore.Properties().SetFromString("".join(objects)))
    return scene


def camera_of(view: str) -> tuple:
    """The camera of a view: ``main`` is the scene's own; ``vI`` moves it a little, by a generator seeded with I."""
    origin, target, fov = (np.array(CAMERA[0]), np.array(CAMERA[1]), CAMERA[2])
    if view != "main":
        rng = np.random.default_rng(int(view[1:]))
        origin = origin + rng.uniform(-1, 1, 3) * (0.35, 0.15, 0.25)
        target = target + rng.uniform(-1, 1, 3) * (0.3, 0.0, 0.2)
        fov = fov + rng.uniform(-4, 4)
    return origin, target, fov


def render_frame(scene, view: str, name: str, folder: Path, args, spp: int, seed: int, outputs) -> dict:
    """Render one frame and save its outputs as NAME*.exr in ``folder``, each written under a temporary
    name and moved into place; the frame's record."""
    origin, target, fov = camera_of(view)
    scene.Parse(
        pyluxcore.Properties().SetFromString(
            'scene.camera.type = "perspective"\n'
            f"scene.camera.lookat.orig = {origin[0]:.6f} {origin[1]:.6f} {origin[2]:.6f}\n"
            f"scene.camera.lookat.target = {target[0]:.6f} {target[1]:.6f} {target[2]:.6f}\n"
            "scene.camera.up = 0 0 1\n"
            f"scene.camera.fieldofview = {fov:.4f}\n"
        )
    )
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{name}."))
    lines = [
        "renderengine.type = PATHCPU",
        f"renderengine.seed = {seed}",
        "sampler.type = SOBOL",
        "sampler.sobol.adaptive.strength = 0",
        f"batch.haltspp = {spp}",
        "batch.halttime = 0",
        f"film.width = {args.size}",
        f"film.height = {args.size}",
        f"film.filter.type = {args.filter}",
        f"native.threads.count = {args.threads}",
        "film.outputs.0.type = SAMPLECOUNT",
        f"film.outputs.0.filename = {staging / 'samplecount.exr'}",
    ]
    files = {}
    for index, output in enumerate(outputs, start=1):
        kind, suffix = OUTPUTS[output]
        files[output] = f"{name}{suffix}.exr"
        lines += [f"film.outputs.{index}.type = {kind}", f"film.outputs.{index}.filename = {staging / files[output]}"]
    config = pyluxcore.RenderConfig(pyluxcore.Properties().SetFromString("\n".join(lines)), scene)
    session = pyluxcore.RenderSession(config)
    start = time.perf_counter()
    session.Start()
    while True:  # PATHCPU halts at batch.haltspp only when its statistics are polled
        time.sleep(0.002)
        session.UpdateStats()
        if session.HasDone():
            break
    session.Stop()
    seconds = time.perf_counter() - start
    film = session.GetFilm()
    counts = np.zeros(args.size * args.size, dtype=np.uint32)
    film.GetOutputUInt(pyluxcore.FilmOutputType.SAMPLECOUNT, counts)
    film.SaveOutputs()
    for file in files.values():
        os.replace(staging / file, folder / file)
    shutil.rmtree(staging)
    del film, session, config
    spp_stats = {"mean": round(float(counts.mean()), 3), "min": int(counts.min()), "max": int(counts.max())}
    return {
        "name": name,
        "view": view,
        "seed": seed,
        "spp": spp,
        "samples_per_pixel": spp_stats,
        "seconds": round(seconds, 2),
        "files": files,
    }


def write_log(folder: Path, frames: dict) -> None:
    """The records of every frame rendered into ``folder`` (:data:`FRAMES_LOG`), written atomically."""
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{FRAMES_LOG}.")
    with os.fdopen(descriptor, "w") as file:
        json.dump(frames, file, indent=1)
    os.replace(temporary, folder / FRAMES_LOG)


def frame_seed(base: int, view: str, pair: int, side: str) -> int:
    """The seed of a frame: distinct for every view, pair and side (``ref`` too) under one base seed."""
    view_index = 999 if view == "main" else int(view[1:])
    side_index = {"a": 0, "b": 1, "ref": 2}[side]
    return base * 1_000_000 + view_index * 1_000 + pair * 3 + side_index + 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the frames into")
    parser.add_argument("--views", type=int, default=8, help="moved cameras v0 .. vN-1 (0 with --main-camera alone)")
    parser.add_argument("--main-camera", action="store_true", help="render the scene's own camera, 'main', instead of moved ones")
    parser.add_argument("--pairs", type=int, default=2, help="pairs per view (0: none, e.g. a reference alone)")
    parser.add_argument("--spp", type=int, default=8, help="samples per pixel of a pair's frame (batch.haltspp)")
    parser.add_argument("--reference-spp", type=int, default=0, help="also a reference VIEW_ref.exr per view at this many spp")
    parser.add_argument("--size", type=int, default=128, help="the film's width and height in pixels")
    parser.add_argument("--seed", type=int, default=1, help="the base seed; each frame's seed is derived from it")
    parser.add_argument("--same-seed", action="store_true", help="render a pair's frame b with frame a's seed")
    parser.add_argument("--outputs", nargs="+", default=list(OUTPUTS), choices=list(OUTPUTS), help="the film outputs to write")
    parser.add_argument("--filter", default="BLACKMANHARRIS", choices=FILTERS, help="film.filter.type")
    parser.add_argument("--threads", type=int, default=0, help="native.threads.count (0: every core)")
    args = parser.parse_args(argv)
    if "color" not in args.outputs:
        parser.error("--outputs must include color")
    pyluxcore.Init(lambda message: None)
    args.out.mkdir(parents=True, exist_ok=True)
    views = ["main"] if args.main_camera else [f"v{i}" for i in range(args.views)]
    jobs = []
    for view in views:
        for pair in range(args.pairs):
            for side in ("a", "b"):
                seed = frame_seed(args.seed, view, pair, "a" if args.same_seed else side)
                jobs.append((view, f"{view}_p{pair}_{side}", args.spp, seed))
        if args.reference_spp:
            jobs.append((view, f"{view}_ref", args.reference_spp, frame_seed(args.seed, view, 0, "ref")))
    scene = build_scene()
    frames, started = [], time.perf_counter()
    log = args.out / FRAMES_LOG
    known = json.loads(log.read_text()) if log.is_file() else {}
    for view, name, spp, seed in jobs:
        outputs = args.outputs if not name.endswith("_ref") else ["color"]
        files = {o: f"{name}{OUTPUTS[o][1]}.exr" for o in outputs}
        if all((args.out / f).is_file() for f in files.values()):
            frames.append({**known.get(name, {"name": name, "view": view, "seed": seed, "spp": spp, "files": files}), "kept": True})
            continue
        frames.append(render_frame(scene, view, name, args.out, args, spp, seed, outputs))
        known[name] = frames[-1]
        write_log(args.out, known)
    record = {
        "renderer": f"LuxCoreRender {pyluxcore.Version()} (pyluxcore), PATHCPU, SOBOL sampler",
        "filter": args.filter,
        "size": [args.size, args.size],
        "out": str(args.out),
        "seconds": round(time.perf_counter() - started, 1),
        "frames": frames,
    }
    print(json.dumps(record), flush=True)
    del scene
    sys.stderr.flush()
    os._exit(0)  # pyluxcore aborts in Python's own shutdown ("PyThreadState_Get"); everything is written


if __name__ == "__main__":
    sys.exit(main())
