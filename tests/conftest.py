"""Test configuration: deterministic hypothesis (derandomized, no deadline), so no test flakes."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "deterministic",
    derandomize=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("deterministic")

# pytester's in-process runs drop the modules they imported when they end; a matplotlib first
# imported inside one would then be imported twice, and its two copies' classes mix. Import it
# (and its Agg backend) here, before any pytester run, where it is installed.
try:  # pragma: no cover - depends on the environment
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401
except ImportError:
    pass
