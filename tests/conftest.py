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

# pytester's in-process runs drop the modules they imported when they end; a module first imported
# inside one would then be imported twice: C extensions refuse that (numpy.fft, through scipy) and
# two copies of matplotlib mix their classes. Import them here, before any pytester run.
import scipy.special  # noqa: E402, F401
import scipy.stats  # noqa: E402, F401

try:  # pragma: no cover - depends on the environment; torch segfaults when imported a second time
    import torch  # noqa: F401
except ImportError:
    pass
try:  # pragma: no cover - depends on the environment
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401
except ImportError:
    pass
try:  # pragma: no cover - numba is optional
    import numpy as np  # noqa: E402

    from verifier.stats import fused  # noqa: E402

    if fused.available():
        # numba imports its typing extensions at the first call of a kernel; dropped by a pytester
        # run and imported again, they fail ("duplicate registration for PolynomialType")
        fused.phi_fast(np.zeros(4))
except ImportError:
    pass
