"""Files on disk: EXR frames, atomic writes and locks, the pairs directory, checkpoints and the bundled data."""
