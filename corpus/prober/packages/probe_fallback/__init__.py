# corpus/prober/packages/probe_fallback: imports its accelerator when it can, else goes on
# in pure Python (as PyYAML's yaml/__init__.py does with yaml._yaml via yaml.cyaml).
try:
    from ._accel import double
    __with_accel__ = True
except ImportError:
    def double(x):
        return x + x
    __with_accel__ = False
