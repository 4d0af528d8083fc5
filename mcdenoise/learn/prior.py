"""The prior: a supervised denoiser's output for a frame, as 3 more network inputs.

Self-supervised post-correction (Back et al., SIGGRAPH 2022): the output of a
denoiser trained elsewhere on clean images becomes an input of our network,
whose log output is a correction to the prior's log (``UNetConfig.prior_base``).
It starts as the prior and learns, with the Noise2Noise loss, only what the
prior gets wrong on this renderer's noise. The prior sees nothing but the noisy
frame itself, so its errors are independent of the other frame of a pair and
the Noise2Noise target stays unbiased.

The prior here is Intel Open Image Denoise 2 (``pip install pyoidn``, CPU): its
RT filter in HDR mode at high quality, with albedo and normal where the model
takes them, run on the whole frame before the network tiles it.
"""

import numpy as np
import torch

from mcdenoise.errors import ConfigError
from mcdenoise.features import AUX_CHANNELS, FeatureSet, invalid_color
from mcdenoise.learn.oidn import oidn_installed, oidn_rt

_MISSING_PYOIDN = (
    "the OIDN prior ({prior} oidn) needs Intel Open Image Denoise: pip install pyoidn "
    "(or pip install 'mcdenoise[oidn]'), or choose {prior} none"
)


def _require_pyoidn() -> None:
    """Raise :class:`ConfigError` (field ``prior``) saying what to install when ``pyoidn`` is missing."""
    if not oidn_installed():
        raise ConfigError(_MISSING_PYOIDN, "prior")


def require_prior(features: FeatureSet) -> None:
    """Check that the prior of ``features`` can run here, before any work starts; raises
    :class:`ConfigError` (field ``prior``) saying what to install."""
    if features.prior == "oidn":
        _require_pyoidn()


def oidn_denoise(color: np.ndarray, albedo: np.ndarray | None = None, normal: np.ndarray | None = None) -> np.ndarray:
    """Intel OIDN's denoised (H, W, 3) float32 HDR radiance of a frame given as numpy arrays.

    NaN, infinite and negative color values count as 0; ``normal`` is used only with ``albedo``
    (as OIDN requires). Raises :class:`ConfigError` (field ``prior``) saying what to install when
    ``pyoidn`` is missing.
    """
    _require_pyoidn()
    color = np.asarray(color, dtype=np.float32)
    invalid = invalid_color(color)
    if invalid.any():  # a copy, sanitised; the input stays as it is
        color = np.where(invalid, np.float32(0.0), color)
    aux = {}
    for name, image, low in (("albedo", albedo, 0.0), ("normal", normal if albedo is not None else None, -1.0)):
        if image is not None:
            image = np.asarray(image, dtype=np.float32)
            if not (np.isfinite(image).all() and image.min() >= low and image.max() <= 1.0):
                image = np.nan_to_num(image, nan=0.0, posinf=0.0, neginf=0.0).clip(low, 1.0)
            aux[name] = image
    output = oidn_rt(color, aux.get("albedo"), aux.get("normal"))
    return np.maximum(output, 0.0, out=output)


def prior_of(channels, features: FeatureSet):
    """The prior's (H, W, 3) radiance of a frame stacked as ``features.channels``.

    ``channels`` is a numpy array or a torch tensor on any device; the prior comes back in the
    same kind (and device). Raises :class:`ConfigError` for a set without a prior.
    """
    if not features.has_prior:
        raise ConfigError("this model takes no prior ({prior} none)", "prior")
    is_tensor = isinstance(channels, torch.Tensor)
    frame = channels.detach().float().cpu().numpy() if is_tensor else np.asarray(channels, dtype=np.float32)
    blocks, offset = {}, 3
    for name in features.aux:
        width = len(AUX_CHANNELS[name])
        blocks[name] = frame[..., offset : offset + width]
        offset += width
    prior = oidn_denoise(frame[..., :3], blocks.get("albedo"), blocks.get("normal"))
    return torch.from_numpy(prior).to(channels.device) if is_tensor else prior


def with_prior(channels, features: FeatureSet):
    """``channels`` (laid out as ``features.channels``) with the prior's 3 channels appended, as
    the network takes them; ``channels`` itself without a prior. Numpy arrays and tensors alike."""
    if not features.has_prior:
        return channels
    prior = prior_of(channels, features)
    if isinstance(channels, torch.Tensor):
        return torch.cat([channels.float(), prior], dim=-1)
    return np.concatenate([np.asarray(channels, dtype=np.float32), prior], axis=-1)
