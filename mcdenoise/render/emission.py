"""Directly visible emission, rendered apart from the rest of the light.

A denoiser spreads the bright pixels of a light seen by the camera over its
dark neighbours, and a 4 spp frame covers a light's edge pixels with only 4
samples. So the light seen directly is worth taking out of the color before
denoising and adding back afterwards from a pass of its own with many samples:
that pass follows only camera rays to their first hit, so it costs about as
much as the feature pass per sample, however deep the scene's light paths are.

Two integrators do it, each for the active Mitsuba variant:

- :func:`split_integrator` renders the scene's own integrator's color and, as
  AOVs of the same samples, the emission at each camera ray's first hit
  (``emission.R,G,B``). Color minus those channels is the light that arrived by
  at least one bounce, with no light's edge in it.
- :func:`emission_integrator` renders that first-hit emission alone, as color
  (R, G, B), for the converged estimate that is added back.
"""

import numpy as np

from mcdenoise.features import COLOR, EMISSION_MEAN, SEEN_EMISSION

_CLASSES: dict[str, tuple[type, type]] = {}


def _first_hit_emission(scene, ray, active):
    """Radiance emitted towards the camera at the first hit of ``ray`` (the environment on a miss)."""
    import drjit as dr
    import mitsuba as mi

    si = scene.ray_intersect(mi.Ray3f(ray), active)
    emitter = si.emitter(scene)
    if dr.is_jit_v(mi.Float):
        return emitter.eval(si, active)  # a null emitter pointer evaluates to 0 in the masked lanes
    if emitter is None or not active:
        return mi.Color3f(0.0)
    return emitter.eval(si, active)


def _classes() -> tuple[type, type]:
    """The two integrator classes for the active variant (Mitsuba's base classes differ per variant)."""
    import drjit as dr
    import mitsuba as mi

    variant = mi.variant()
    if variant in _CLASSES:
        return _CLASSES[variant]

    class SplitIntegrator(mi.SamplingIntegrator):
        """The wrapped integrator's color, with its samples' first-hit emission as AOVs."""

        def __init__(self, props):
            super().__init__(props)
            self.inner = None

        def sample(self, scene, sampler, ray, medium=None, active=True):
            emitted = _first_hit_emission(scene, ray, active)
            color, valid, aovs = self.inner.sample(scene, sampler, ray, medium, active)
            # Where the color holds less than the light seen (an integrator that hides emitters,
            # or a medium in front of the light), nothing is split off, so color minus emission
            # is never negative.
            contains = dr.all(color >= emitted * 0.999)
            emitted = dr.select(contains, emitted, 0.0)
            return color, valid, [emitted[0], emitted[1], emitted[2]] + list(aovs)

        def aov_names(self):
            return list(SEEN_EMISSION) + list(self.inner.aov_names())

        def to_string(self):
            return f"SplitIntegrator[inner={self.inner}]"

    class EmissionIntegrator(mi.SamplingIntegrator):
        """Only the emission at each camera ray's first hit."""

        def sample(self, scene, sampler, ray, medium=None, active=True):
            return _first_hit_emission(scene, ray, active), active, []

        def aov_names(self):
            return []

        def to_string(self):
            return "EmissionIntegrator[]"

    _CLASSES[variant] = (SplitIntegrator, EmissionIntegrator)
    return _CLASSES[variant]


def split_integrator(scene):
    """An integrator giving ``scene``'s own integrator's color plus :data:`SEEN_EMISSION` AOVs.

    Its film channels are R, G, B, then the three emission channels, then the wrapped
    integrator's own AOVs (none for the usual path tracers).
    """
    import mitsuba as mi

    split_class, _ = _classes()
    integrator = split_class(mi.Properties())
    integrator.inner = scene.integrator()
    return integrator


def emission_integrator():
    """An integrator that renders only first-hit emission, as R, G, B."""
    import mitsuba as mi

    _, emission_class = _classes()
    return emission_class(mi.Properties())


def split_channels(data: np.ndarray) -> dict[str, np.ndarray]:
    """Color and :data:`SEEN_EMISSION` channels from a render of :func:`split_integrator` ((H, W, 6+))."""
    names = COLOR + SEEN_EMISSION
    return {name: np.ascontiguousarray(data[..., i]) for i, name in enumerate(names)}


def emission_mean_channels(data: np.ndarray) -> dict[str, np.ndarray]:
    """:data:`EMISSION_MEAN` channels from a render of :func:`emission_integrator`."""
    return {name: np.ascontiguousarray(data[..., i]) for i, name in enumerate(EMISSION_MEAN)}
