# corpus/prober/packages/probe_lazy: never imports its accelerator itself (as lxml leaves
# lxml.etree to its users): a refused probe_lazy._accel is a plain refusal, not a fallback.
def double(x):
    from ._accel import double as fast
    return fast(x)
