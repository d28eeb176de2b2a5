"""Build the compiled read loop, src/fusioncheck/readloop.pyx (everything else is in
pyproject.toml).  It reads htslib's records through pysam's Cython declarations, so it is built
against the pysam that pyproject.toml pins, for build and run alike."""

import pysam
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "fusioncheck.readloop",
                ["src/fusioncheck/readloop.pyx"],
                include_dirs=pysam.get_include(),
                language="c++",
            )
        ],
        compiler_directives={"language_level": 3},
    )
)
