from setuptools import find_packages, setup

setup(
    name="mcdenoise",
    version="0.1.0",
    description="Monte Carlo rendering denoiser trained on noisy pairs alone (Noise2Noise)",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["mcdenoise", "mcdenoise.*"]),
    package_data={
        "mcdenoise": [
            "data/*.pt",
            "data/*.json",
            "data/scenes/*/*.xml",
            "data/scenes/*/*.md",
            "data/scenes/*/meshes/*.obj",
            "blender_addon/blender_manifest.toml",
        ]
    },
    install_requires=["torch>=2.1", "mitsuba==3.9.1", "drjit==1.5.0", "openexr>=3.3", "pyexr", "numpy"],
    extras_require={
        "test": ["pytest", "hypothesis", "pyoidn", "flip-evaluator", "ray[client]>=2.9"],
        "oidn": ["pyoidn"],
        # benchmarks/sequence.py's curves and animated crops; benchmarks/luxcore_frames.py's renderer
        # (in a process of its own: pyluxcore's tbbmalloc proxy aborts a process that loads torch).
        "bench": ["pyoidn", "matplotlib", "pyluxcore==2.11.2"],
        # Blender 5.0 as a Python module (Python 3.11 only), for render-pairs of .blend files. It pins
        # numpy 1.26.4; mcdenoise runs on numpy 1.26 and 2.x, so the extra shares one environment.
        "blender": ["bpy==5.0.1; python_version == '3.11'"],
        # render-pairs --ray: the views of a job rendered on a Ray cluster (mcdenoise.render.farm).
        "ray": ["ray[client]>=2.9"],
    },
    entry_points={"console_scripts": ["mcdenoise = mcdenoise.cli:main"]},
)
