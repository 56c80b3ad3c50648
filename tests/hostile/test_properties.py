"""Property tests: whatever the input, only :class:`~verifier.errors.VerifierError` escapes.

Spec strings, import-string keyword lists, arrays of every dtype, shape, stride and magnitude
given to :func:`verifier.check`, and mutated ``.npy``/``.npz``/``.safetensors``/``.pt`` files
given to the loaders. In CI: the deterministic profile of ``tests/conftest.py`` (derandomized,
40 examples per test). A longer run, documented in the README::

    VERIFIER_FUZZ_EXAMPLES=5000 pytest tests/hostile/test_properties.py

(the same tests with 5,000 examples each; the seed is still fixed, so a failure is reproducible).
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import verifier
from verifier.errors import VerifierError
from verifier.loaders import load_tensor
from verifier.sources.imports import parse_kwargs
from verifier.theory.parsing import parse_spec

EXAMPLES = int(os.environ.get("VERIFIER_FUZZ_EXAMPLES", "40"))
budget = settings(max_examples=EXAMPLES)

NAMES = ["normal", "uniform", "he_normal", "xavier_uniform", "trunc_normal", "kaiming_uniform_", "sqrt", "math.sqrt",
         "variance_scaling", "zeros", "eye", "orthogonal"]
ATOMS = ["0", "1", "-1", "0.02", "1e308", "1e-320", "inf", "nan", "1e999", "-0.0", "True", "None", "'fan_out'",
         "'relu'", "9" * 30, "sqrt(5)", "sqrt(-1)", "x", "()", "[1]", "{}", "lambda: 0", "__import__('os')",
         "mode='fan_in'", "a=", "gain=", "*a", "**k", "std=1", "'\\x00'", "'\u202e'"]


@st.composite
def spec_like(draw: st.DrawFn) -> str:
    """Strings near the spec grammar (names, calls, literals, operators), and arbitrary text."""
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    name = draw(st.sampled_from(NAMES))
    args = draw(st.lists(st.sampled_from(ATOMS), max_size=4))
    prefix = draw(st.sampled_from(["", "-", "+", "--", "-" * 300, "(" * 50]))
    args = [prefix + a for a in args]
    return f"{name}({', '.join(args)})" + draw(st.sampled_from(["", ")", "(", ",", " + 1", "[0]"]))


@budget
@given(spec_like())
def test_spec_parser_raises_only_verifier_errors(text: str) -> None:
    try:
        parse_spec(text)
    except VerifierError:
        pass


@budget
@given(spec_like())
def test_keyword_parser_raises_only_verifier_errors(text: str) -> None:
    call = text[text.find("("):] if "(" in text else f"({text})"
    try:
        parse_kwargs(call, "fn" + call)
    except VerifierError:
        pass


DTYPES = [np.float16, np.float32, np.float64, np.int32, np.bool_, np.complex64, np.uint8]


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every dtype (floats from denormal to max, NaN and inf included), shapes with 0..4
    dimensions, transposed, sliced with negative steps, or wrapped in a masked array."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    if np.dtype(dtype).kind == "f":
        elements = st.floats(width=8 * np.dtype(dtype).itemsize, allow_subnormal=True)
        if draw(st.booleans()):
            scale = draw(st.sampled_from([1e-310, 1e-300, 1e-30, 1.0, 1e30, 1e154, 1e300]))
            base = np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape)
            with np.errstate(over="ignore"):
                a = (base * scale).astype(dtype)
        else:
            a = draw(hnp.arrays(dtype, shape, elements=elements))
    else:
        a = draw(hnp.arrays(dtype, shape))
    view = draw(st.sampled_from(["plain", "transpose", "reverse", "step", "masked"]))
    if view == "transpose":
        a = a.T
    elif view == "reverse" and a.ndim:
        a = a[::-1]
    elif view == "step" and a.ndim:
        a = a[..., ::-2]
    elif view == "masked":
        a = np.ma.masked_array(a, mask=draw(hnp.arrays(np.bool_, a.shape)))
    return a


SPECS = ["normal(0, 1)", "normal(0, 1e-300)", "normal(0, 1e300)", "uniform(-1, 1)", "trunc_normal(std=0.02)",
         "he_normal", "xavier_uniform(gain=1e308)", "zeros", "ones", "orthogonal"]


@budget
@given(arrays(), st.sampled_from(SPECS))
def test_check_gives_a_verdict_or_a_verifier_error(values: np.ndarray, spec: str) -> None:
    try:
        verdict = verifier.check(values, spec)
    except VerifierError:
        return
    assert isinstance(verdict.passed, bool)
    str(verdict)  # renders


def _valid_files() -> dict[str, bytes]:
    a = np.random.default_rng(0).normal(0, 0.1, size=(8, 8)).astype(np.float32)
    files = {}
    buf = io.BytesIO()
    np.save(buf, a)
    files["w.npy"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez(buf, w=a)
    files["w.npz"] = buf.getvalue()
    header = b'{"w":{"dtype":"F32","shape":[8,8],"data_offsets":[0,256]}}'
    files["w.safetensors"] = struct.pack("<Q", len(header)) + header + a.tobytes()
    try:
        import torch

        buf = io.BytesIO()
        torch.save({"w": torch.from_numpy(a)}, buf)
        files["w.pt"] = buf.getvalue()
    except ImportError:
        pass
    return files


VALID = _valid_files()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid tensor file with bytes flipped, cut, inserted or its declared sizes changed."""
    name = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[name])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "digit"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            data = data[:pos]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "digit":  # change a number in a header: a declared shape or offset
            text = bytes(data)
            digits = [i for i, b in enumerate(text[:400]) if chr(b).isdigit()]
            if digits:
                i = draw(st.sampled_from(digits))
                data[i:i + 1] = draw(st.sampled_from([b"9" * 12, b"0", b"-1", b"1e9"]))
    return name, bytes(data)


@budget
@given(mutated())
def test_loaders_raise_only_verifier_errors(tmp_path_factory: pytest.TempPathFactory,
                                            case: tuple[str, bytes]) -> None:
    name, data = case
    path = Path(tmp_path_factory.mktemp("mut")) / name
    path.write_bytes(data)
    target = f"{path}:w" if name.endswith((".npz", ".safetensors", ".pt")) else str(path)
    try:
        values, _ = load_tensor(target, max_bytes=2**24)
    except VerifierError:
        return
    try:
        verifier.check(values, "normal(0, 0.1)")
    except VerifierError:
        pass


def test_unmutated_files_load(tmp_path: Path) -> None:
    """The valid files load and pass (so the mutated ones test the loaders, not a broken fixture)."""
    assert {"w.npy", "w.npz", "w.safetensors"} <= set(VALID)
    assert zipfile.is_zipfile(io.BytesIO(VALID["w.npz"]))
    import importlib.util

    for name, data in VALID.items():
        if name.endswith(".safetensors") and importlib.util.find_spec("safetensors") is None:
            continue
        (tmp_path / name).write_bytes(data)
        target = str(tmp_path / name) + ("" if name.endswith(".npy") else ":w")
        values, _ = load_tensor(target)
        assert verifier.check(values, "normal(0, 0.1)").passed


def test_atheris_target_runs_on_seeds() -> None:
    """The fuzz target (tests/hostile/fuzz_loaders.py) on the valid files and a few mutations."""
    from tests.hostile.fuzz_loaders import SUFFIXES, run_one

    for name, data in VALID.items():
        kind = bytes([SUFFIXES.index(name[name.rindex("."):])])
        run_one(kind + data)
        run_one(kind + data[: len(data) // 2])
        run_one(kind + data[::-1])
