"""check(..., contracts=True): the contracts of the initializer itself (dtype, same seed, different seed)."""

from __future__ import annotations

import numpy as np
import pytest

import verifier
from verifier.errors import SourceError


def good(shape, rng):
    return rng.normal(0.0, 0.0625, size=shape)


def test_conforming_initializer_keeps_its_contracts() -> None:
    v = verifier.check(good, "he_normal", shape=(256, 512), contracts=True)
    assert v.passed, str(v)
    assert {"dtype", "same seed", "different seed"} <= {c.name for c in v.checks}
    assert verifier.check(good, "he_normal", shape=(256, 512)).check("same seed") is None  # opt-in


def test_values_have_no_contracts() -> None:
    x = np.random.default_rng(0).normal(0, 0.0625, size=(256, 512))
    v = verifier.check(x, "he_normal", contracts=True)
    assert v.passed and v.check("same seed") is None


def test_ignoring_the_seed_fails() -> None:
    """Same values whatever the seed: a fixed seed inside the initializer."""

    def fixed(shape, rng):
        return np.random.default_rng(1234).normal(0.0, 0.0625, size=shape)

    v = verifier.check(fixed, "he_normal", shape=(256, 512), contracts=True)
    assert not v.passed and v.check("different seed").passed is False
    assert v.check("same seed").passed


def test_not_reproducible_fails() -> None:
    """Different values for the same seed: an unseeded generator inside the initializer."""
    entropy = np.random.default_rng()

    def unseeded(shape, rng):
        return entropy.normal(0.0, 0.0625, size=shape)

    v = verifier.check(unseeded, "he_normal", shape=(256, 512), contracts=True)
    assert not v.passed and v.check("same seed").passed is False
    assert v.check("different seed").passed


def test_numpy_without_dtype_parameter_asked_for_a_dtype() -> None:
    v = verifier.check(good, "he_normal", shape=(256, 512), dtype="float16", contracts=True)
    assert not v.passed and v.check("dtype").passed is False
    assert verifier.check(good, "he_normal", shape=(256, 512), dtype="float16").passed  # cast, as documented


def test_dtype_ignored_is_refused_with_or_without_contracts() -> None:
    def ignores(shape, rng, dtype=np.float32):
        return rng.normal(0.0, 0.0625, size=shape)

    for contracts in (False, True):
        with pytest.raises(SourceError, match="check that it honours dtype"):
            verifier.check(ignores, "he_normal", shape=(256, 512), contracts=contracts)


def test_torch_initializer_contracts() -> None:
    pytest.importorskip("torch")
    v = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(256, 512), dtype="bfloat16",
                       contracts=True)
    assert v.passed, str(v)
    assert v.check("different seed").passed


def test_contracts_with_a_structured_spec() -> None:
    pytest.importorskip("torch")
    v = verifier.check("torch.nn.init.sparse_(sparsity=0.1)", "sparse(0.1)", shape=(128, 64), contracts=True)
    assert v.passed and v.check("same seed").passed and v.check("zeros per column").passed
