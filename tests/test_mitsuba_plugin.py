"""The Mitsuba plugin: <integrator type="mcdenoise"> returns a denoised frame from mi.render."""

import numpy as np
import pytest

from mcdenoise.metrics import psnr_t
from mcdenoise.render.variants import variant_works


def _scene_xml(scene_path, integrator: str) -> str:
    text = scene_path.read_text()
    start, end = text.index("<integrator"), text.index("</integrator>") + len("</integrator>")
    text = text[:start] + integrator + text[end:]
    text = text.replace('value="meshes/', f'value="{scene_path.parent}/meshes/')
    return text.replace('<rfilter type="gaussian"/>', '<rfilter type="box"/>')


@pytest.mark.parametrize("variant", ["scalar_rgb", "llvm_ad_rgb"])
def test_plugin_denoises_in_each_variant(variant, scene_path, trained_model):
    if not variant_works(variant):
        pytest.skip(f"{variant} does not work on this machine")
    import mitsuba as mi

    mi.set_variant(variant)
    import mcdenoise.mitsuba  # noqa: F401  (registers the plugin, and re-registers on variant change)

    plugin = f'<integrator type="mcdenoise"><string name="model" value="{trained_model}"/><integrator type="path"/></integrator>'
    path = '<integrator type="path"/>'
    load = lambda xml: mi.load_string(xml, res=64, spp=4)  # noqa: E731
    denoised = np.array(mi.render(load(_scene_xml(scene_path, plugin)), spp=4, seed=3))
    noisy = np.array(mi.render(load(_scene_xml(scene_path, path)), spp=4, seed=3))
    reference = np.array(mi.render(load(_scene_xml(scene_path, path)), spp=256, seed=4))
    assert denoised.shape == (64, 64, 3) and np.isfinite(denoised).all()
    assert psnr_t(denoised, reference) > psnr_t(noisy, reference) + 2.0
