from setuptools import Extension, setup

setup(
    name="ownpkg",
    ext_modules=[
        Extension(
            "ownpkg.owngil",
            ["ownpkg/owngil.c"],
            define_macros=[("CYTHON_USE_MODULE_STATE", "1"), ("CYTHON_USE_TYPE_SPECS", "1")],
        )
    ],
)
