# A small package of the kind subcheck is run on: two extension modules, one written
# the old way and one isolated. `bash ci/setup.sh` scans this directory.
from setuptools import Extension, setup

setup(
    name="fastcache",
    ext_modules=[
        Extension("fastcache._speedups", ["src/fastcache/_speedups.c"]),
        Extension("fastcache._core", ["src/fastcache/_core.c"]),
    ],
)
