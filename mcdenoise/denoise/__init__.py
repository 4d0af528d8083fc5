"""Denoising frames: the Denoiser hook, apply, orientation ensembles, evaluation and previews."""
