"""Tests of verifier.sources.values, dtypes and sample."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verifier.errors import InputTypeError, SourceError, VerifierError
from verifier.sources import LOW_PRECISION, Sample, canonical_dtype, from_source, from_values

ROOT = Path(__file__).resolve().parents[2]


# --- dtypes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("float16", "float16"), ("fp16", "float16"), ("half", "float16"),
        ("bfloat16", "bfloat16"), ("bf16", "bfloat16"),
        ("float32", "float32"), ("fp32", "float32"), ("float", "float32"),
        ("float64", "float64"), ("fp64", "float64"), ("double", "float64"),
        ("Float32", "float32"), ("torch.float16", "float16"),
        (np.float32, "float32"), (np.dtype("float16"), "float16"), (np.float64, "float64"),
    ],
)
def test_canonical_dtype(given: object, expected: str) -> None:
    assert canonical_dtype(given) == expected


def test_canonical_dtype_torch() -> None:
    torch = pytest.importorskip("torch")
    assert canonical_dtype(torch.bfloat16) == "bfloat16"
    assert canonical_dtype(torch.half) == "float16"
    assert canonical_dtype(torch.float64) == "float64"
    with pytest.raises(InputTypeError, match="integer"):
        canonical_dtype(torch.int64)


@pytest.mark.parametrize("bad", ["int64", np.int32, np.dtype("uint8"), np.bool_, "bool", np.complex64])
def test_canonical_dtype_rejects_non_float(bad: object) -> None:
    with pytest.raises(InputTypeError, match="floating-point"):
        canonical_dtype(bad)


def test_canonical_dtype_unknown_lists_valid() -> None:
    with pytest.raises(SourceError, match="float16, bfloat16, float32, float64") as info:
        canonical_dtype("float17")
    assert "\n" not in str(info.value)


def test_low_precision() -> None:
    assert {"float16", "bfloat16"} == LOW_PRECISION


# --- numpy values ------------------------------------------------------------------------


def test_numpy_array_not_copied() -> None:
    array = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    sample = from_values(array)
    assert isinstance(sample, Sample)
    assert sample.chunks[0] is array
    assert (sample.shape, sample.dtype, sample.draws, sample.n) == ((5, 7), "float32", 1, 35)
    assert (sample.convention, sample.seed, sample.device, sample.source) == (
        "values", None, "cpu", "numpy array")


def test_sample_is_frozen() -> None:
    sample = from_values(np.ones(3))
    with pytest.raises(AttributeError):
        sample.dtype = "float32"  # type: ignore[misc]


def test_memmap(tmp_path: Path) -> None:
    mm = np.memmap(tmp_path / "w.bin", dtype=np.float16, mode="w+", shape=(4, 4))
    mm[:] = 0.5
    sample = from_values(mm)
    assert sample.chunks[0] is mm
    assert sample.dtype == "float16"


def test_list_of_numbers() -> None:
    sample = from_values([[0.1, -0.2], [0.3, 4]])
    assert sample.dtype == "float64" and sample.shape == (2, 2)
    assert isinstance(sample.chunks[0], np.ndarray)


def test_ragged_list() -> None:
    with pytest.raises(SourceError, match="ragged"):
        from_values([[0.1, 0.2], [0.3]])


@pytest.mark.parametrize("bad", [["a", "b"], [0.1, None], [True, False], [1j, 2j]])
def test_list_of_non_numbers(bad: list[object]) -> None:
    with pytest.raises(InputTypeError):
        from_values(bad)


def test_nan_inf_are_not_errors_here() -> None:
    sample = from_values(np.array([np.nan, np.inf, 1.0]))
    assert sample.n == 3


def test_array_like_object() -> None:
    class Wrapped:
        def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
            return np.arange(6, dtype=np.float32).reshape(2, 3)

    sample = from_values(Wrapped())
    assert sample.shape == (2, 3) and sample.dtype == "float32"
    assert sample.source == "Wrapped array"


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.arange(6), "integer"),
        (np.array([True, False]), "boolean"),
        (np.array([1j, 2j]), "complex"),
    ],
)
def test_non_float_arrays(values: np.ndarray, kind: str) -> None:
    with pytest.raises(InputTypeError, match=kind) as info:
        from_values(values)
    assert "floating-point" in str(info.value)


@pytest.mark.parametrize("values", [np.array(["a", "b"]), np.array([object(), object()])])
def test_string_and_object_arrays(values: np.ndarray) -> None:
    with pytest.raises(InputTypeError, match="not numbers"):
        from_values(values)


def test_string_is_not_values() -> None:
    with pytest.raises(InputTypeError, match="from_source"):
        from_values("torch.nn.init.normal_")


def test_unknown_type() -> None:
    with pytest.raises(InputTypeError, match="object"):
        from_values(object())


def test_empty() -> None:
    with pytest.raises(SourceError, match=r"empty \(shape \(0, 3\)\)"):
        from_values(np.zeros((0, 3), dtype=np.float32))


@pytest.mark.parametrize("values", [np.float32(1.0), np.array(2.0), np.ones((1, 1)), 3.0])
def test_fewer_than_two_values(values: object) -> None:
    with pytest.raises(SourceError, match="at least 2 values.*draws=k"):
        from_values(values)


def test_shape_mismatch() -> None:
    with pytest.raises(SourceError, match=r"shape \(3, 4\).*shape=\(4, 3\)"):
        from_values(np.ones((3, 4)), shape=(4, 3))
    assert from_values(np.ones((3, 4)), shape=(3, 4)).shape == (3, 4)


def test_bad_shape_argument() -> None:
    with pytest.raises(SourceError, match="negative dimension"):
        from_values(np.ones((3, 4)), shape=(3, -4))
    with pytest.raises(SourceError, match="not a shape"):
        from_values(np.ones((3, 4)), shape="3,4")


def test_dtype_mismatch() -> None:
    with pytest.raises(SourceError, match="dtype= only applies to initializers; cast"):
        from_values(np.ones(4, dtype=np.float32), dtype="float16")
    assert from_values(np.ones(4, dtype=np.float32), dtype="fp32").dtype == "float32"


def test_errors_are_verifier_errors_and_one_line() -> None:
    for bad in (np.arange(3), np.zeros(0), np.float64(1.0)):
        with pytest.raises(VerifierError) as info:
            from_values(bad)
        assert "\n" not in str(info.value)


def test_from_source_values_rejects_draws() -> None:
    with pytest.raises(SourceError, match="draws="):
        from_source(np.ones(4), draws=3)
    with pytest.raises(SourceError, match="convention="):
        from_source(np.ones(4), convention="torch")


def test_from_source_rejects_unknown_types() -> None:
    with pytest.raises(InputTypeError, match="set"):
        from_source({1, 2})
    with pytest.raises(InputTypeError, match="dict"):
        from_source({"w": np.ones(3)})


# --- torch values ------------------------------------------------------------------------


def test_torch_tensor() -> None:
    torch = pytest.importorskip("torch")
    tensor = torch.randn(4, 5)
    sample = from_values(tensor)
    assert sample.chunks[0] is tensor
    assert (sample.source, sample.device, sample.dtype) == ("torch tensor", "cpu", "float32")


def test_torch_non_contiguous() -> None:
    torch = pytest.importorskip("torch")
    tensor = torch.randn(4, 5).T
    assert not tensor.is_contiguous()
    sample = from_values(tensor)
    assert sample.shape == (5, 4)
    assert sample.chunks[0] is tensor


def test_torch_bfloat16() -> None:
    torch = pytest.importorskip("torch")
    sample = from_values(torch.randn(8, 2, dtype=torch.bfloat16))
    assert sample.dtype == "bfloat16"
    assert sample.chunks[0].dtype == torch.bfloat16


def test_torch_requires_grad_detached() -> None:
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.randn(3, 3))
    sample = from_values(param)
    assert not sample.chunks[0].requires_grad
    assert sample.chunks[0].data_ptr() == param.data_ptr()


def test_torch_meta() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(SourceError, match="meta tensor has no values; materialise"):
        from_values(torch.empty(3, 4, device="meta"))


@pytest.mark.parametrize("name", ["int64", "bool", "complex64", "uint8"])
def test_torch_non_float(name: str) -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(InputTypeError, match="floating-point"):
        from_values(torch.zeros(3, dtype=getattr(torch, name)))


def test_torch_empty_and_single() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(SourceError, match="empty"):
        from_values(torch.zeros(2, 0))
    with pytest.raises(SourceError, match="at least 2"):
        from_values(torch.tensor(1.0))


def test_torch_cuda_kept_on_device() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    tensor = torch.randn(3, 4, device="cuda")
    sample = from_values(tensor)
    assert sample.chunks[0] is tensor
    assert sample.device.startswith("cuda")


# --- import without optional frameworks ----------------------------------------------------


def test_import_without_torch() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'torch', 'jax', 'keras', 'ml_dtypes'}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "import verifier.sources as S\n"
        "from verifier.errors import SourceError\n"
        "s = S.from_source(np.ones((2, 3)))\n"
        "assert s.dtype == 'float64'\n"
        "s = S.from_initializer(lambda shape, rng: rng.normal(size=shape), shape=(3,))\n"
        "assert s.dtype == 'float32'\n"
        "try:\n"
        "    S.from_initializer(lambda shape, rng: rng.normal(size=shape), shape=(3,), dtype='bf16')\n"
        "except SourceError as exc:\n"
        "    assert 'install torch' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('bf16 without torch should fail')\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


# --- issue 15: inputs counted wrongly ------------------------------------------------------


def test_list_of_ints_refused_like_int_array() -> None:
    """A Python list of ints was accepted (cast to float64) while an int array is refused."""
    with pytest.raises(InputTypeError, match="integer"):
        from_values([1, 2, 3, 4])
    with pytest.raises(InputTypeError, match="integer"):
        from_values(np.array([1, 2, 3, 4]))
    with pytest.raises(InputTypeError, match="integer"):
        from_values([[1, 2], [3, 4]])
    assert from_values([1.0, 2, 3]).dtype == "float64"  # a float in the list makes it floats


def test_broadcast_array_refused() -> None:
    """np.broadcast_to gives n values in n/512 memory cells: not n independent draws."""
    row = np.random.default_rng(0).normal(0, 0.02, 512).astype(np.float32)
    wide = np.broadcast_to(row, (256, 512))
    with pytest.raises(SourceError, match="broadcast or overlapping"):
        from_values(wide)
    with pytest.raises(SourceError, match="broadcast or overlapping"):
        from_source(wide)
    overlap = np.lib.stride_tricks.as_strided(row, shape=(100, 400), strides=(4, 4))
    with pytest.raises(SourceError, match="broadcast or overlapping"):
        from_values(overlap)
    # strided but non-overlapping views are fine: transposes, slices with steps, size-1 axes
    base = np.random.default_rng(1).normal(size=(64, 32, 3))
    for ok in (base.T, base[::2, ::3], base[:, :1, :], np.broadcast_to(row, (1, 512))):
        assert from_values(ok).n == ok.size


def test_broadcast_tensor_refused() -> None:
    torch = pytest.importorskip("torch")
    row = torch.randn(512)
    with pytest.raises(SourceError, match="broadcast or overlapping"):
        from_values(row.expand(256, 512))
    assert from_values(torch.randn(8, 16).t()).n == 128


def _host_view_cases():  # noqa: ANN202
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(5)
    base = torch.randn(40, 60, generator=g)
    return {
        "contiguous": base,
        "transposed": base.t(),
        "strided": base[::2, 1::3],
        "parameter": torch.nn.Parameter(base.clone()),
        "float64": base.double(),
        "float16": base.half(),
    }


@pytest.mark.parametrize("case", ["contiguous", "transposed", "strided", "parameter", "float64", "float16"])
def test_host_views_are_numpy_views_of_the_same_memory(case: str) -> None:
    """Small CPU torch samples are read through numpy views of the tensor's own memory (no copy),
    and their verdicts are the tensor's: the same checks with the same statistics and p-values."""
    torch = pytest.importorskip("torch")

    import verifier
    from verifier.sources.values import host_views

    t = _host_view_cases()[case]
    sample = from_values(t)
    viewed = host_views(sample)
    (chunk,) = viewed.chunks
    assert isinstance(chunk, np.ndarray) and chunk.shape == tuple(t.shape)
    assert chunk.__array_interface__["data"][0] == t.data_ptr()  # the same memory, not a copy
    assert np.array_equal(chunk, t.detach().numpy())
    assert (viewed.shape, viewed.dtype, viewed.device, viewed.source) == (sample.shape, sample.dtype, "cpu",
                                                                          sample.source)
    law = "normal(0, 1)"
    a = verifier.check(t, law)
    b = verifier.check(t.detach().numpy(), law)
    assert [(c.name, c.statistic, c.pvalue, c.passed) for c in a.checks] == \
        [(c.name, c.statistic, c.pvalue, c.passed) for c in b.checks]
    assert isinstance(t, torch.Tensor)


def test_host_views_keep_what_numpy_cannot_view_or_large_samples() -> None:
    """bfloat16 and large samples keep their torch chunks (the sample itself); numpy chunks are kept."""
    torch = pytest.importorskip("torch")
    from verifier.sources.values import HOST_VIEW_MAX, host_views

    for t in (torch.randn(64).bfloat16(), torch.randn(HOST_VIEW_MAX + 1)):
        s = from_values(t)
        assert host_views(s) is s
    s = from_values(np.zeros(8, dtype=np.float32))
    assert host_views(s).chunks[0] is s.chunks[0]


def test_a_parameter_is_described_as_one_whether_or_not_it_requires_grad() -> None:
    """A Parameter is described as a torch parameter (the usual one requires grad: it was described as
    a plain tensor, the type being read after ``detach()``), and its values are read detached."""
    torch = pytest.importorskip("torch")
    for requires_grad in (True, False):
        p = torch.nn.Parameter(torch.randn(4, 4), requires_grad=requires_grad)
        s = from_values(p)
        assert s.source == "torch parameter" and not s.chunks[0].requires_grad
    assert from_values(torch.randn(4, 4, requires_grad=True)).source == "torch tensor"
