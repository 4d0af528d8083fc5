"""mcdenoise: a Monte Carlo rendering denoiser trained on noisy pairs alone (Noise2Noise).

The Python API is what the command line calls: each command's config and ``run`` in
:mod:`mcdenoise.commands` (``mcdenoise.commands.apply.run(ApplyConfig(frames=[...]))``), the
plain functions under them (:func:`mcdenoise.render.job.render_pairs`,
:func:`mcdenoise.learn.train.train`, :func:`mcdenoise.denoise.apply.apply_files`), and
:class:`Denoiser` for renderer pipelines.
"""

from mcdenoise.errors import McDenoiseError
from mcdenoise.render.variants import configure_llvm

configure_llvm()  # before anything imports Dr.Jit's LLVM backend

__version__ = "0.1.0"
__all__ = ["Denoiser", "McDenoiseError", "__version__"]


def __getattr__(name):
    if name == "Denoiser":  # imported lazily: torch is slow to import
        from mcdenoise.denoise.hook import Denoiser

        return Denoiser
    raise AttributeError(name)
