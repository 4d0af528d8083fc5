"""Mitsuba 3 plugin: an integrator that renders with the scene's own integrator, then denoises.

    import mitsuba as mi
    mi.set_variant("llvm_ad_rgb")
    import mcdenoise.mitsuba  # registers the "mcdenoise" integrator

    <integrator type="mcdenoise">
        <string name="model" value="model.pt"/>   <!-- optional: the bundled base model without it -->
        <integrator type="path"/>
    </integrator>

``mi.render`` on such a scene returns the denoised frame. The plugin is
registered for the current variant and again whenever the variant changes.
Mitsuba's ``aov`` integrator supplies the albedo and normal that the model needs.
"""

from functools import cache

import mitsuba as mi
import numpy as np

from mcdenoise.denoise.hook import Denoiser
from mcdenoise.features import AUX_CHANNELS
from mcdenoise.render.scene import AOV_SOURCES


@cache
def _denoiser(model_path: str) -> Denoiser:
    return Denoiser.load(model_path)


def _render_with_aovs(scene, sensor, inner, denoiser: Denoiser, seed: int, spp: int):
    """Render color plus the model's AOVs with ``inner`` and return the denoised (H, W, C) frame."""
    spec = ",".join(AOV_SOURCES[name] for name in denoiser.features.aux)
    integrator = mi.load_dict({"type": "aov", "aovs": spec, "scene_integrator": inner}) if spec else inner
    image = np.array(mi.render(scene, sensor=sensor, integrator=integrator, seed=seed, spp=spp), dtype=np.float32)
    aux_width = sum(len(AUX_CHANNELS[name]) for name in denoiser.features.aux)
    base = image[..., : image.shape[-1] - aux_width]  # R, G, B and alpha if the film has one
    features = np.concatenate([base[..., :3], image[..., base.shape[-1] :]], axis=-1)
    denoised = denoiser(features)
    return np.concatenate([denoised, base[..., 3:]], axis=-1)


def render_denoised(scene, spp: int = 4, model="base", sensor=0, seed: int = 0, integrator=None):
    """Render ``scene`` with its own (or the given) integrator and denoise it with ``model``
    (a model file, or ``"base"``, the bundled base model).

    Returns an (H, W, C) float32 array. Pass distinct seeds for independent frames.
    """
    if isinstance(sensor, int):
        sensor = scene.sensors()[sensor]
    inner = integrator if integrator is not None else scene.integrator()
    return _render_with_aovs(scene, sensor, inner, _denoiser(str(model)), seed, spp)


def _make_integrator_class():
    class McDenoiseIntegrator(mi.SamplingIntegrator):
        """Wraps a nested integrator and denoises what it renders."""

        def __init__(self, props):
            super().__init__(props)
            self.model = props.get("model", "base")
            self.inner = None
            for name in props.keys():
                value = props.get(name)
                if isinstance(value, mi.Integrator):
                    self.inner = value
            if self.inner is None:
                self.inner = mi.load_dict({"type": "path"})

        def render(self, scene, sensor=0, seed=0, spp=0, develop=True, evaluate=True):
            if isinstance(sensor, int):
                sensor = scene.sensors()[sensor]
            denoised = _render_with_aovs(scene, sensor, self.inner, _denoiser(self.model), int(seed), int(spp))
            return mi.TensorXf(denoised)

        def to_string(self):
            return f"McDenoiseIntegrator[model={self.model}, inner={self.inner}]"

    return McDenoiseIntegrator


def _register(old=None, new=None) -> None:
    if mi.variant() is None:
        return
    integrator_class = _make_integrator_class()
    mi.register_integrator("mcdenoise", lambda props: integrator_class(props))


mi.detail.add_variant_callback(_register)
_register()
