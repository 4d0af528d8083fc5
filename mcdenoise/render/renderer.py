"""Rendering the frames of a Mitsuba 3 scene: color and auxiliary features, with their seeds.

Color comes from the scene's own integrator; the AOVs from a separate, cheap pass of
Mitsuba's ``aov`` integrator; the emission split's channels from the integrators of
:mod:`mcdenoise.render.emission`. :class:`FrameRenderer` renders many views of one
scene, replaying its render calls on the JIT variants instead of tracing each again.
"""

import numpy as np

from mcdenoise.errors import SceneError
from mcdenoise.features import ALBEDO, COLOR, DEPTH, NORMAL
from mcdenoise.render.emission import emission_integrator, emission_mean_channels, split_channels, split_integrator
from mcdenoise.render.scene import AOV_SOURCES, Camera, first_line, make_sensor

#: Sampler of the emission pass: the light seen directly only needs each pixel's coverage, which
#: stratified samples measure far better than independent ones (docs/experiments.md).
EMISSION_SAMPLER = "multijitter"


def feature_integrator():
    """Mitsuba's ``aov`` integrator with only the auxiliary features (no light transport)."""
    import mitsuba as mi

    return mi.load_dict({"type": "aov", "aovs": ",".join(AOV_SOURCES.values())})


def render_pass(scene, sensor, spp: int, seed: int, integrator=None) -> np.ndarray:
    """One plain ``mitsuba.render`` call: (H, W, C) float32 of ``integrator`` (default: the
    scene's own) through ``sensor``. Distinct seeds give independent images (Mitsuba's own
    default is seed 0 for every call). Raises :class:`SceneError` when Mitsuba fails."""
    import mitsuba as mi

    if spp < 1:
        raise SceneError(f"samples per pixel must be at least 1, not {spp}")
    try:
        return np.array(mi.render(scene, sensor=sensor, integrator=integrator, spp=int(spp), seed=int(seed)), dtype=np.float32)
    except Exception as error:
        raise SceneError(f"Mitsuba failed to render: {first_line(error)}") from None


def color_channels(data: np.ndarray) -> dict[str, np.ndarray]:
    """R, G, B channels of a color render."""
    return {name: np.ascontiguousarray(data[..., i]) for i, name in enumerate(COLOR)}


def feature_channels(data: np.ndarray) -> dict[str, np.ndarray]:
    """Albedo, normal and depth channels of a render of :func:`feature_integrator`."""
    names = ALBEDO + NORMAL + DEPTH
    if data.shape[-1] != len(names):
        raise SceneError(f"expected {len(names)} channels from the aov integrator, got {data.shape[-1]}")
    return {name: np.ascontiguousarray(data[..., i]) for i, name in enumerate(names)}


class FrameRenderer:
    """Color and feature passes of one scene, through sensors that move from view to view.

    The images are those of plain :func:`render_pass` calls through a sensor of each view's
    own (the same samples, to float rounding). On the JIT variants (LLVM,
    CUDA) each kind of render call (color or features, at a given spp) is traced a few
    times and then replayed for new seeds and camera poses (``drjit.freeze``), which saves
    the tracing that every plain ``mitsuba.render`` call repeats. Each kind has a sensor of
    its own, since a render leaves its sample count and film channels in the sensor and a
    change of them would force a new trace. Should a replay ever fail, that pass goes on
    with plain calls.
    """

    def __init__(self, scene, camera: Camera, width: int, height: int, pixel_filter: str = "box", replay: bool = True):
        import mitsuba as mi

        self.scene = scene
        self.features_by = feature_integrator()
        self._split_by = self._emission_by = None  # made on first use
        self._sensor_args = (width, height, pixel_filter)
        self._camera = camera
        #: Whether render calls are traced once and replayed (JIT variants only; off: plain calls).
        self.replays = replay and mi.variant().startswith(("llvm_", "cuda_"))
        self._passes: dict[tuple[str, int], list] = {}  # (kind, spp) -> [sensor, its parameters, frozen render or None]

    @property
    def recordings(self) -> int:
        """How many times render calls were traced for replay (0: plain calls only)."""
        return sum(frozen.n_recordings for _, _, frozen in self._passes.values() if frozen is not None)

    def move(self, camera: Camera) -> None:
        """Point every sensor at ``camera`` (pose, field of view and clip planes)."""
        import mitsuba as mi

        if camera == self._camera:
            return
        for _, params, _ in self._passes.values():
            params["to_world"] = mi.Transform4f(np.array(camera.to_world))
            for key in ("x_fov", "near_clip", "far_clip"):
                if getattr(camera, key) != getattr(self._camera, key):
                    params[key] = getattr(camera, key)
            params.update()
        self._camera = camera

    def color(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """Radiance channels (R, G, B) of the scene's own integrator."""
        return color_channels(self._render("color", spp, seed, None))

    def features(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """Albedo, normal and depth channels, from primary rays only.

        A pass of its own costs a small fraction of a light-transport render, where wrapping
        the scene's integrator in the ``aov`` integrator would nearly double every frame's cost.
        """
        return feature_channels(self._render("features", spp, seed, self.features_by))

    def color_split(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """:meth:`color`'s channels (the same samples) plus the emission seen in them (:data:`SEEN_EMISSION`)."""
        if self._split_by is None:
            self._split_by = split_integrator(self.scene)
        return split_channels(self._render("color_split", spp, seed, self._split_by))

    def emission(self, spp: int, seed: int) -> dict[str, np.ndarray]:
        """First-hit emission alone (:data:`EMISSION_MEAN`), from camera rays only, with the :data:`EMISSION_SAMPLER`."""
        if self._emission_by is None:
            self._emission_by = emission_integrator()
        return emission_mean_channels(self._render("emission", spp, seed, self._emission_by))

    def _render(self, kind: str, spp: int, seed: int, integrator) -> np.ndarray:
        import drjit as dr
        import mitsuba as mi

        if (kind, spp) not in self._passes:
            sampler = EMISSION_SAMPLER if kind == "emission" else "independent"
            sensor = make_sensor(self.scene, self._camera, *self._sensor_args, sampler=sampler)
            frozen = dr.freeze(_frozen_render) if self.replays and spp >= 1 else None
            self._passes[kind, spp] = [sensor, mi.traverse(sensor), frozen]
        entry = self._passes[kind, spp]
        sensor, _, frozen = entry
        if frozen is not None:
            try:
                return np.array(frozen(self.scene, sensor, integrator, int(spp), mi.UInt32(int(seed))), dtype=np.float32)
            except Exception:
                entry[2] = None  # a scene that cannot be replayed: plain calls for this pass from now on
        return render_pass(self.scene, sensor, spp, seed, integrator)


def _frozen_render(scene, sensor, integrator, spp, seed):
    import mitsuba as mi

    return mi.render(scene, sensor=sensor, integrator=integrator, spp=spp, seed=seed)
