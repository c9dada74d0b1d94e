# Re-creates python-ldap's layout: one extension built from several files, one of which
# (Modules/results.c) is reached only through a function whose parameter type comes from
# the directory library's header, which is not installed where subcheck scans.
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dirclient._dirclient",
            ["Modules/dirclient.c", "Modules/results.c"],
        )
    ]
)
