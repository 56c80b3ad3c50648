"""What each framework means by an initializer's name (the one catalogue; :func:`compare` across
frameworks is in :mod:`verifier.comparison`).

The same name does not mean the same distribution everywhere (THEORY.md): torch's
``kaiming_normal_`` is an untruncated normal, Keras's ``HeNormal`` and JAX's ``he_normal`` are
normals truncated at ±2s with ``s = σ/0.8796`` (same variance, different shape), and the layouts
differ (torch ``(out, in, *k)``, Keras/JAX ``(*k, in, out)``). This module holds, as data, what
each framework documents for each name (:data:`IMPLEMENTATIONS`), the textbook definitions
(:data:`TEXTBOOK`) and the layer defaults (:data:`LAYER_DEFAULTS`).

Frameworks are imported only when an initializer is actually made; Keras is imported with
``KERAS_BACKEND=torch`` when no backend is set and TensorFlow is not installed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import SourceError, VerifierError
from .theory.parsing import parse_spec
from .theory.specs import canonical_spec_name

__all__ = [
    "FRAMEWORKS",
    "Implementation",
    "LayerDefault",
    "IMPLEMENTATIONS",
    "LAYER_DEFAULTS",
    "TEXTBOOK",
    "COMPARABLE",
    "is_installed",
    "import_framework",
    "implementations",
    "meanings",
    "Comparison",  # noqa: F822 - from verifier.comparison, through __getattr__
    "ComparisonRow",  # noqa: F822
    "compare",  # noqa: F822
]

#: The frameworks :func:`compare` knows, in table order.
FRAMEWORKS: tuple[str, ...] = ("torch", "keras", "jax")

_PIP = {"torch": "torch", "keras": "keras (and torch, run with KERAS_BACKEND=torch)", "jax": "jax[cpu]"}


# ---- availability -----------------------------------------------------------------------------
def _prepare_keras() -> None:
    """Default ``KERAS_BACKEND`` to torch when none is set and TensorFlow is missing."""
    if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None \
            and importlib.util.find_spec("torch") is not None:
        os.environ["KERAS_BACKEND"] = "torch"


def import_framework(framework: str) -> Any:
    """Import ``torch``, ``keras`` or ``jax``; :class:`~verifier.errors.SourceError` if it cannot be."""
    if framework not in FRAMEWORKS:
        raise SourceError(f"unknown framework {framework!r}; known: {', '.join(FRAMEWORKS)}")
    if framework == "keras":
        _prepare_keras()
    try:
        module = importlib.import_module(framework)
        if framework == "jax":
            importlib.import_module("jax.nn.initializers")
        return module
    except Exception as exc:  # ImportError, or a Keras backend that fails to load
        raise SourceError(
            f"{framework} is not installed or failed to import ({type(exc).__name__}: {exc}); "
            f"pip install {_PIP[framework]}"
        ) from exc


def is_installed(framework: str) -> bool:
    """Whether ``framework`` imports (Keras: with a working backend)."""
    if framework not in FRAMEWORKS or importlib.util.find_spec(framework) is None:
        return False
    try:
        import_framework(framework)
    except SourceError:
        return False
    return True


# ---- the data ---------------------------------------------------------------------------------
def _torch(attr: str, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        import_framework("torch")
        import torch.nn.init as init

        fn = getattr(init, attr)
        return functools.partial(fn, **kwargs) if kwargs else fn

    return make


def _keras(cls: str, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        keras = import_framework("keras")
        return getattr(keras.initializers, cls)(**kwargs)

    return make


def _jax(fn: str, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        jax = import_framework("jax")
        return getattr(jax.nn.initializers, fn)(*args, **kwargs)

    return make


@dataclass(frozen=True)
class Implementation:
    """One framework's initializer for one name, and what its documentation promises.

    Attributes
    ----------
    framework : 'torch', 'keras' or 'jax'.
    name : the canonical scheme name (``'he_normal'``, ``'normal'``, ...).
    api : how the user writes it, e.g. ``"keras.initializers.HeNormal()"``.
    documented : the spec string of what the framework documents.
    layout : the weight layout the framework uses ('torch' or 'keras').
    default_mode : the fan used by default ('fan_in', 'fan_out', 'fan_avg' or '—').
    truncated : whether the draw is a truncated normal.
    make : builds the initializer (imports the framework).
    note : anything surprising.
    """

    framework: str
    name: str
    api: str
    documented: str
    layout: str
    default_mode: str
    truncated: bool
    make: Callable[[], Any] = field(repr=False, compare=False)
    note: str = ""

    @property
    def spec(self) -> Any:
        """The documented :class:`~verifier.theory.specs.Spec`."""
        return parse_spec(self.documented)


_TR = "truncated at ±2s, s = σ/0.8796 (variance kept)"

IMPLEMENTATIONS: tuple[Implementation, ...] = (
    # torch: (out, in, *k), *_normal_ untruncated
    Implementation("torch", "xavier_uniform", "torch.nn.init.xavier_uniform_", "xavier_uniform", "torch", "fan_avg",
                   False, _torch("xavier_uniform_")),
    Implementation("torch", "xavier_normal", "torch.nn.init.xavier_normal_", "xavier_normal", "torch", "fan_avg",
                   False, _torch("xavier_normal_")),
    Implementation("torch", "he_uniform", "torch.nn.init.kaiming_uniform_", "he_uniform", "torch", "fan_in",
                   False, _torch("kaiming_uniform_"), "defaults a=0, nonlinearity='leaky_relu' → gain √2"),
    Implementation("torch", "he_normal", "torch.nn.init.kaiming_normal_", "he_normal", "torch", "fan_in",
                   False, _torch("kaiming_normal_"), "defaults a=0, nonlinearity='leaky_relu' → gain √2"),
    Implementation("torch", "normal", "torch.nn.init.normal_", "normal", "torch", "—", False, _torch("normal_"),
                   "default N(0, 1)"),
    Implementation("torch", "uniform", "torch.nn.init.uniform_", "uniform", "torch", "—", False, _torch("uniform_"),
                   "default U(0, 1)"),
    Implementation("torch", "trunc_normal", "torch.nn.init.trunc_normal_", "trunc_normal", "torch", "—", True,
                   _torch("trunc_normal_"), "a, b are absolute bounds (default ±2), not multiples of std"),
    # Keras 3: (*k, in, out), *Normal truncated
    Implementation("keras", "xavier_uniform", "keras.initializers.GlorotUniform()", "xavier_uniform", "keras",
                   "fan_avg", False, _keras("GlorotUniform"), "the Keras Dense/Conv kernel default"),
    Implementation("keras", "xavier_normal", "keras.initializers.GlorotNormal()", "xavier_normal(truncated=True)",
                   "keras", "fan_avg", True, _keras("GlorotNormal"), _TR),
    Implementation("keras", "he_uniform", "keras.initializers.HeUniform()", "he_uniform", "keras", "fan_in", False,
                   _keras("HeUniform")),
    Implementation("keras", "he_normal", "keras.initializers.HeNormal()", "he_normal(truncated=True)", "keras",
                   "fan_in", True, _keras("HeNormal"), _TR),
    Implementation("keras", "lecun_uniform", "keras.initializers.LecunUniform()", "lecun_uniform", "keras", "fan_in",
                   False, _keras("LecunUniform")),
    Implementation("keras", "lecun_normal", "keras.initializers.LecunNormal()", "lecun_normal(truncated=True)",
                   "keras", "fan_in", True, _keras("LecunNormal"), _TR),
    Implementation("keras", "normal", "keras.initializers.RandomNormal()", "normal(std=0.05)", "keras", "—", False,
                   _keras("RandomNormal"), "default stddev 0.05"),
    Implementation("keras", "uniform", "keras.initializers.RandomUniform()", "uniform(-0.05, 0.05)", "keras", "—",
                   False, _keras("RandomUniform"), "default U(-0.05, 0.05)"),
    Implementation("keras", "trunc_normal", "keras.initializers.TruncatedNormal()", "normal(std=0.05, truncated=True)",
                   "keras", "—", True, _keras("TruncatedNormal"), "cut at mean ± 2·stddev, no variance correction"),
    # JAX: (*k, in, out), *_normal truncated
    Implementation("jax", "xavier_uniform", "jax.nn.initializers.glorot_uniform()", "xavier_uniform", "keras",
                   "fan_avg", False, _jax("glorot_uniform")),
    Implementation("jax", "xavier_normal", "jax.nn.initializers.glorot_normal()", "xavier_normal(truncated=True)",
                   "keras", "fan_avg", True, _jax("glorot_normal"), _TR),
    Implementation("jax", "he_uniform", "jax.nn.initializers.he_uniform()", "he_uniform", "keras", "fan_in", False,
                   _jax("he_uniform")),
    Implementation("jax", "he_normal", "jax.nn.initializers.he_normal()", "he_normal(truncated=True)", "keras",
                   "fan_in", True, _jax("he_normal"), _TR),
    Implementation("jax", "lecun_uniform", "jax.nn.initializers.lecun_uniform()", "lecun_uniform", "keras", "fan_in",
                   False, _jax("lecun_uniform")),
    Implementation("jax", "lecun_normal", "jax.nn.initializers.lecun_normal()", "lecun_normal(truncated=True)",
                   "keras", "fan_in", True, _jax("lecun_normal"), _TR + "; the Flax Dense/Conv kernel default"),
    Implementation("jax", "normal", "jax.nn.initializers.normal()", "normal(std=0.01)", "keras", "—", False,
                   _jax("normal"), "default stddev 0.01"),
    Implementation("jax", "uniform", "jax.nn.initializers.uniform()", "uniform(0.0, 0.01)", "keras", "—", False,
                   _jax("uniform"), "U(0, scale), not symmetric; default scale 0.01"),
    Implementation("jax", "trunc_normal", "jax.nn.initializers.truncated_normal()", "normal(std=0.01, truncated=True)",
                   "keras", "—", True, _jax("truncated_normal"), "lower/upper in std units (±2), no variance correction"),
)

#: The textbook (paper) definition of each named scheme: untruncated, fan_in unless stated.
TEXTBOOK: dict[str, str] = {
    "xavier_uniform": "xavier_uniform",
    "xavier_normal": "xavier_normal",
    "he_uniform": "he_uniform",
    "he_normal": "he_normal",
    "lecun_uniform": "lecun_uniform",
    "lecun_normal": "lecun_normal",
}

#: Names :func:`compare` accepts (canonical; aliases such as kaiming_normal, glorot_uniform work).
COMPARABLE: tuple[str, ...] = tuple(dict.fromkeys(i.name for i in IMPLEMENTATIONS))

#: ``(spec, description)`` of each framework's default for the plain schemes (normal, uniform,
#: truncated normal) other than torch's: what identification names an unknown tensor after.
PLAIN_DEFAULTS: tuple[tuple[str, str], ...] = tuple(
    (i.documented, f"{i.spec.distribution()}, {i.api} default")
    for i in IMPLEMENTATIONS if i.framework != "torch" and i.name in ("normal", "uniform", "trunc_normal")
)


#: The fan-based schemes every framework names (the rest are plain normal/uniform/truncated draws).
NAMED_SCHEMES: tuple[str, ...] = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_uniform",
                                  "lecun_normal")


def of_framework(framework: str) -> tuple[Implementation, ...]:
    """What ``framework`` ('torch', 'keras', 'jax') means by each name, from :data:`IMPLEMENTATIONS`."""
    return tuple(i for i in IMPLEMENTATIONS if i.framework == framework)


@dataclass(frozen=True)
class LayerDefault:
    """What a framework's standard layer draws its kernel from."""

    framework: str
    layer: str
    spec: str
    note: str


LAYER_DEFAULTS: tuple[LayerDefault, ...] = (
    LayerDefault("torch", "nn.Linear / nn.Conv*", "he_uniform(a=sqrt(5))",
                 "the torch nn.Linear/Conv default (kaiming_uniform_(w, a=√5))"),
    LayerDefault("keras", "Dense / Conv*", "xavier_uniform", "the Keras Dense/Conv default (glorot_uniform)"),
    LayerDefault("flax", "nn.Dense / nn.Conv", "lecun_normal(truncated=True)",
                 "the JAX/Flax Dense default (lecun_normal, truncated)"),
)


@functools.lru_cache(maxsize=None)
def _canonical(spec: str) -> str:
    return str(parse_spec(spec))


def implementations(name: str) -> list[Implementation]:
    """Each framework's initializer for ``name`` (any alias: ``kaiming_normal``, ``glorot_uniform``...)."""
    key = _resolve(name)
    return [i for i in IMPLEMENTATIONS if i.name == key]


def meanings(spec: Any) -> list[str]:
    """Who draws exactly from ``spec`` (a Spec or spec string): layer defaults and framework APIs."""
    key = str(spec) if not isinstance(spec, str) else _canonical(spec)
    out = [d.note for d in LAYER_DEFAULTS if _canonical(d.spec) == key]
    apis = [i.api for i in IMPLEMENTATIONS if _canonical(i.documented) == key and i.name in TEXTBOOK]
    if apis:
        out.append(" = ".join(apis))
    return out


def _resolve(name: str) -> str:
    key = name.strip().lower().rstrip("_") if isinstance(name, str) else ""
    aliases = {"truncated_normal": "trunc_normal", "random_normal": "normal", "random_uniform": "uniform"}
    key = aliases.get(key, key)
    try:
        key = canonical_spec_name(key)
    except VerifierError:
        pass
    if key not in COMPARABLE:
        raise VerifierError(f"cannot compare {name!r}; known names: {', '.join(COMPARABLE)} "
                            "(aliases kaiming_*, glorot_*, truncated_normal accepted)")
    return key


def __getattr__(name: str) -> Any:
    """:func:`compare` and its results live in :mod:`verifier.comparison` (they read this
    catalogue); ``verifier.frameworks.compare`` still works."""
    if name in ("compare", "Comparison", "ComparisonRow"):
        from . import comparison

        return getattr(comparison, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
