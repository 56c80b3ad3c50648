"""check(..., contracts=True): the contracts of the initializer itself (dtype, same seed, different seed)."""

from __future__ import annotations

import numpy as np
import pytest

import verifier
from verifier.errors import SourceError
from verifier.report.format import headline


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


def _ignores_dtype(shape, rng, dtype=np.float32):
    """A numpy-convention initializer that takes dtype and ignores it: numpy's float64."""
    return rng.normal(0.0, 0.0625, size=shape)


def _transposed(shape, rng):
    """Draws the right law in the reversed shape (a (in, out) layout where (out, in) was asked)."""
    return rng.normal(0.0, 0.0625, size=tuple(shape)[::-1])


def test_dtype_ignored_is_refused_without_contracts() -> None:
    with pytest.raises(SourceError, match="check that it honours dtype"):
        verifier.check(_ignores_dtype, "he_normal", shape=(256, 512), dtype="float16")
    with pytest.raises(SourceError, match="returned shape"):
        verifier.check(_transposed, "he_normal", shape=(256, 512))


def test_dtype_ignored_is_a_failed_verdict_with_contracts() -> None:
    # Before: refused (SourceError, exit 2) although the initializer ran and does not conform.
    v = verifier.check(_ignores_dtype, "he_normal", shape=(256, 512), dtype="float16", contracts=True)
    assert not v.passed and v.status == "fail"
    c = v.check("dtype")
    assert c is not None and c.passed is False and c.pvalue == 0.0
    assert "returned float64 values where float16 was asked" in c.detail
    assert v.sample.dtype == "float64"  # the values it returned, as returned
    assert v.check("variance").passed and v.check("ks").passed  # the law itself is right
    assert headline(v).startswith("dtype rejected against he_normal: returned float64 values where float16")
    assert v.diagnosis is not None and "ignores the requested dtype" in v.diagnosis.short
    assert v.to_dict()["status"] == "fail"


def test_transposed_shape_is_a_failed_verdict_with_contracts() -> None:
    v = verifier.check(_transposed, "he_normal", shape=(256, 512), contracts=True)
    assert not v.passed and v.status == "fail"
    c = v.check("returned shape")
    assert c is not None and c.passed is False
    assert "returned shape (512, 256) where (256, 512) was asked: transposed" in c.detail
    assert v.sample.shape == (256, 512)  # tested in the requested shape
    assert "transposed" in headline(v)


def test_wrong_number_of_values_is_a_failed_verdict_with_contracts() -> None:
    def short(shape, rng):
        return rng.normal(0.0, 0.0625, size=(10,))

    v = verifier.check(short, "he_normal", shape=(256, 512), contracts=True)
    assert not v.passed and v.status == "fail" and [c.name for c in v.checks] == ["returned shape"]
    assert "10 values where 131,072 were asked" in headline(v)
    assert "returned shape" in str(v)


def test_cli_wrong_dtype_or_shape_exits_1_with_contracts(tmp_path, monkeypatch, capsys) -> None:
    from verifier.cli import main

    (tmp_path / "badinit.py").write_text(
        "import numpy as np\n"
        "def ignores(shape, rng, dtype=np.float32):\n    return rng.normal(0.0, 0.0625, size=shape)\n"
        "def transposed(shape, rng):\n    return rng.normal(0.0, 0.0625, size=tuple(shape)[::-1])\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = ["--expect", "he_normal", "--shape", "256,512"]
    assert main(["check", "badinit:ignores", *base, "--dtype", "float16", "--contracts"]) == 1
    out, _ = capsys.readouterr()
    assert "returned float64 values where float16 was asked" in out
    assert main(["check", "badinit:transposed", *base, "--contracts"]) == 1
    out, _ = capsys.readouterr()
    assert "transposed" in out
    # without contracts: refused, one line, exit 2
    assert main(["check", "badinit:ignores", *base, "--dtype", "float16"]) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "honours dtype" in err
    # truly bad input stays exit 2 with contracts: a saved file that is not a tensor
    (tmp_path / "w.npy").write_bytes(b"not a numpy file")
    assert main(["check", "w.npy", "--expect", "he_normal", "--contracts"]) == 2


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
