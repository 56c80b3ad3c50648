"""Tests of verifier.sources.initializers."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from verifier.errors import InputTypeError, SourceError
from verifier.sources import detect_convention, draw_seed, from_initializer, from_source

DTYPES = ["float32", "float16", "bfloat16", "float64"]
TORCH_INITS = [
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
    "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
]


def _as_f64(chunk: Any) -> np.ndarray:
    if hasattr(chunk, "detach"):
        return chunk.detach().cpu().double().numpy()
    return np.asarray(chunk, dtype=np.float64)


def _values(sample: Any) -> np.ndarray:
    return np.concatenate([_as_f64(c).ravel() for c in sample.chunks])


# --- torch -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init", TORCH_INITS)
def test_torch_init_reproducible(init: str, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    fn = getattr(torch.nn.init, init)
    try:
        fn(torch.empty(16, 8, dtype=getattr(torch, dtype)))
    except (NotImplementedError, RuntimeError):
        # torch itself has no kernel (orthogonal_'s QR in float16/bfloat16 on cpu): the error
        # must be a one-line SourceError that suggests float32.
        with pytest.raises(SourceError, match=f"cannot run torch.nn.init.{init} in {dtype}.*float32"):
            from_initializer(fn, shape=(16, 8), dtype=dtype)
        return
    a = from_initializer(fn, shape=(16, 8), dtype=dtype, seed=3, draws=2)
    b = from_initializer(fn, shape=(16, 8), dtype=dtype, seed=3, draws=2)
    c = from_initializer(fn, shape=(16, 8), dtype=dtype, seed=4, draws=2)
    assert a.convention == "torch" and a.dtype == dtype and a.n == 256
    assert a.source == f"torch.nn.init.{init}"
    assert all(chunk.dtype == getattr(torch, dtype) for chunk in a.chunks)
    assert all(tuple(chunk.shape) == (16, 8) for chunk in a.chunks)
    np.testing.assert_array_equal(_values(a), _values(b))
    assert not np.array_equal(_values(a), _values(c))
    assert not np.array_equal(_as_f64(a.chunks[0]), _as_f64(a.chunks[1]))


def test_torch_global_rng_untouched() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(123)
    before = torch.get_rng_state().clone()
    from_initializer(torch.nn.init.normal_, shape=(10, 10), seed=9, draws=3)
    assert torch.equal(torch.get_rng_state(), before)


def test_torch_kwargs_and_source() -> None:
    torch = pytest.importorskip("torch")
    sample = from_initializer(
        torch.nn.init.kaiming_normal_, shape=(64, 32), kwargs={"mode": "fan_out"}
    )
    assert sample.source == "torch.nn.init.kaiming_normal_(mode='fan_out')"
    std = float(_values(sample).std())
    assert abs(std - (2 / 64) ** 0.5) < 0.03


def test_torch_returned_tensor_is_used() -> None:
    torch = pytest.importorskip("torch")

    def init(tensor: Any) -> Any:
        return torch.full_like(tensor, 0.5) + torch.rand_like(tensor)

    sample = from_initializer(init, shape=(3, 4))
    assert float(_values(sample).min()) >= 0.5


def test_torch_wrong_returned_shape() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(SourceError, match=r"returned shape \(12,\), expected \(3, 4\)"):
        from_initializer(lambda t: torch.randn(12), shape=(3, 4), convention="torch")


def test_torch_integer_result() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(InputTypeError, match="integer"):
        from_initializer(lambda t: torch.zeros(3, 4, dtype=torch.int64), shape=(3, 4),
                         convention="torch")


def test_torch_error_wrapped() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(SourceError, match=r"calling torch.nn.init.kaiming_normal_ failed: "
                                          r"ValueError: .*") as info:
        from_initializer(torch.nn.init.kaiming_normal_, shape=(3, 4), kwargs={"mode": "fan_sideways"})
    assert isinstance(info.value.__cause__, ValueError)
    assert "\n" not in str(info.value)


def test_torch_partial() -> None:
    torch = pytest.importorskip("torch")
    fn = functools.partial(torch.nn.init.uniform_, a=-0.1, b=0.1)
    assert detect_convention(fn) == "torch"
    sample = from_initializer(fn, shape=(5, 5))
    assert float(np.abs(_values(sample)).max()) <= 0.1


# --- numpy -------------------------------------------------------------------------------


def rng_init(shape: tuple[int, ...], rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=shape)


def legacy_init(shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return np.random.normal(0.0, scale, size=shape)


@pytest.mark.parametrize("fn", [rng_init, legacy_init])
def test_numpy_reproducible(fn: Any) -> None:
    a = from_initializer(fn, shape=(6, 5), seed=1, draws=3, dtype="float64")
    b = from_initializer(fn, shape=(6, 5), seed=1, draws=3, dtype="float64")
    c = from_initializer(fn, shape=(6, 5), seed=2, draws=3, dtype="float64")
    assert a.convention == "numpy"
    assert a.source == f"{fn.__name__} (numpy convention)"
    np.testing.assert_array_equal(_values(a), _values(b))
    assert not np.array_equal(_values(a), _values(c))
    assert not np.array_equal(a.chunks[0], a.chunks[1])


def test_numpy_rng_matches_documented_seed() -> None:
    sample = from_initializer(rng_init, shape=(4,), seed=7, draws=2, dtype="float64")
    for i, chunk in enumerate(sample.chunks):
        expected = np.random.default_rng(draw_seed(7, i)).normal(size=(4,))
        np.testing.assert_array_equal(chunk, expected)
    assert draw_seed(7, 1) == int(np.random.SeedSequence([7, 1]).generate_state(1)[0])


def test_numpy_legacy_global_state_restored() -> None:
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    from_initializer(legacy_init, shape=(10,), draws=2)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_numpy_kwargs() -> None:
    sample = from_initializer(rng_init, shape=(2000,), kwargs={"scale": 0.01})
    assert sample.source == "rng_init(scale=0.01) (numpy convention)"
    assert float(_values(sample).std()) < 0.02


def test_numpy_kwarg_fills_second_positional() -> None:
    def init(shape: tuple[int, ...], scale: float) -> np.ndarray:
        return np.random.uniform(-scale, scale, size=shape)

    sample = from_initializer(init, shape=(100,), kwargs={"scale": 0.5})
    assert float(np.abs(_values(sample)).max()) <= 0.5


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_cast(dtype: str) -> None:
    if dtype == "bfloat16":
        pytest.importorskip("torch")
    sample = from_initializer(rng_init, shape=(8, 8), dtype=dtype)
    assert sample.dtype == dtype
    chunk = sample.chunks[0]
    if dtype == "bfloat16":
        torch = pytest.importorskip("torch")
        assert chunk.dtype == torch.bfloat16
    else:
        assert chunk.dtype == np.dtype(dtype)


def test_numpy_bfloat16_rounds_to_nearest() -> None:
    torch = pytest.importorskip("torch")
    value = 1.0 + 2**-8 + 2**-12  # nearer to 1 + 2**-7 than to 1
    sample = from_initializer(lambda shape: np.full(shape, value), shape=(2,), dtype="bf16",
                              convention="numpy")
    assert sample.chunks[0].float()[0].item() == 1.0 + 2**-7
    assert sample.chunks[0].dtype == torch.bfloat16


def test_numpy_wrong_shape() -> None:
    with pytest.raises(SourceError, match=r"returned shape \(4, 3\), expected \(3, 4\)"):
        from_initializer(lambda shape, rng: rng.normal(size=shape[::-1]), shape=(3, 4),
                         convention="numpy")


@pytest.mark.parametrize("result", [np.zeros((3, 4), dtype=np.int32), np.zeros((3, 4), dtype=bool)])
def test_numpy_non_float_result(result: np.ndarray) -> None:
    with pytest.raises(InputTypeError, match="floating-point"):
        from_initializer(lambda shape: result, shape=(3, 4), convention="numpy")


def test_numpy_object_result() -> None:
    with pytest.raises(InputTypeError, match="not numbers"):
        from_initializer(lambda shape: "nope", shape=(3, 4), convention="numpy")


def test_numpy_error_wrapped() -> None:
    def broken(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise RuntimeError("boom\nsecond line")

    with pytest.raises(SourceError, match="calling broken failed: RuntimeError: boom second line"):
        from_initializer(broken, shape=(3,))


# --- detection ---------------------------------------------------------------------------


def _params(*names: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(f"def f({', '.join(names)}): pass", namespace)  # noqa: S102 - builds a test signature
    return namespace["f"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("key", "shape", "dtype"), "jax"),
        (("rng_key", "shape", "dtype"), "jax"),
        (("prng_key", "shape"), "jax"),
        (("tensor",), "torch"),
        (("t",), "torch"),
        (("w",), "torch"),
        (("weight", "gain"), "torch"),
        (("x",), "torch"),
        (("param",), "torch"),
        (("shape", "rng"), "numpy"),
        (("size",), "numpy"),
        (("dims",), "numpy"),
    ],
)
def test_detect_by_first_parameter(names: tuple[str, ...], expected: str) -> None:
    assert detect_convention(_params(*names)) == expected


def test_detect_by_module() -> None:
    torch = pytest.importorskip("torch")
    assert detect_convention(torch.nn.init.orthogonal_) == "torch"
    fake = _params("a", "b")
    fake.__module__ = "jax._src.nn.initializers"
    assert detect_convention(fake) == "jax"
    fake.__module__ = "flax.linen.initializers"
    assert detect_convention(fake) == "jax"
    fake.__module__ = "jaxlike"  # only the top-level package counts
    with pytest.raises(SourceError):
        detect_convention(fake)


def test_detect_keras_object() -> None:
    class FakeInitializer:
        seed = None

        def get_config(self) -> dict[str, Any]:
            return {}

        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            return np.zeros(shape)

    FakeInitializer.__module__ = "keras.src.initializers"
    assert detect_convention(FakeInitializer()) == "keras"


def test_detect_partial_uses_remaining_parameter() -> None:
    fn = functools.partial(_params("gain", "shape"), 1.0)
    assert detect_convention(fn) == "numpy"


def test_detect_ambiguous() -> None:
    with pytest.raises(SourceError, match="convention='torch'.*'numpy'.*'jax'.*'keras'") as info:
        from_initializer(_params("a", "b"), shape=(3,))
    assert "'a'" in str(info.value)


def test_convention_override_and_validation() -> None:
    fn = _params("a")
    sample = from_initializer(lambda a: np.ones(a), shape=(3,), convention="numpy")
    assert sample.convention == "numpy"
    with pytest.raises(SourceError, match="unknown convention='tf'"):
        from_initializer(fn, shape=(3,), convention="tf")


def test_jax_and_keras_need_their_package() -> None:
    pytest.importorskip("numpy")
    for conv, package in (("jax", "jax"), ("keras", "keras")):
        try:
            __import__(package)
        except ImportError:
            with pytest.raises(SourceError, match=f"pip install {package}"):
                from_initializer(lambda *a, **k: np.ones(3), shape=(3,), convention=conv)


# --- argument validation -----------------------------------------------------------------


def test_not_callable() -> None:
    with pytest.raises(SourceError, match="not callable"):
        from_initializer(42, shape=(3,))


def test_shape_required() -> None:
    with pytest.raises(SourceError, match=r"an initializer needs shape=\.\.\."):
        from_initializer(rng_init, shape=None)
    with pytest.raises(SourceError, match=r"an initializer needs shape=\.\.\."):
        from_source(rng_init)


@pytest.mark.parametrize("shape", [(3, -1), (3, 2.5), ("a",), (True, 3)])
def test_bad_shape(shape: tuple[Any, ...]) -> None:
    with pytest.raises(SourceError, match="shape="):
        from_initializer(rng_init, shape=shape)


def test_zero_size_shape() -> None:
    with pytest.raises(SourceError, match="no values"):
        from_initializer(rng_init, shape=(3, 0))


def test_single_value() -> None:
    with pytest.raises(SourceError, match="draws=k"):
        from_initializer(rng_init, shape=(1,))
    assert from_initializer(rng_init, shape=(), draws=5).n == 5


@pytest.mark.parametrize("draws", [0, -1, 1.5, True, "2"])
def test_bad_draws(draws: Any) -> None:
    with pytest.raises(SourceError, match="draws="):
        from_initializer(rng_init, shape=(3,), draws=draws)


@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(SourceError, match="seed="):
        from_initializer(rng_init, shape=(3,), seed=seed)


def test_bad_dtype() -> None:
    with pytest.raises(SourceError, match="unknown dtype"):
        from_initializer(rng_init, shape=(3,), dtype="float17")
    with pytest.raises(SourceError, match="not supported"):
        from_initializer(rng_init, shape=(3,), dtype="float8_e4m3fn")
    with pytest.raises(InputTypeError, match="integer"):
        from_initializer(rng_init, shape=(3,), dtype="int32")


def test_bad_kwargs() -> None:
    with pytest.raises(SourceError, match="kwargs="):
        from_initializer(rng_init, shape=(3,), kwargs=[("scale", 1.0)])  # type: ignore[arg-type]


def test_from_source_callable_defaults() -> None:
    sample = from_source(rng_init, shape=(4, 4), seed=2, draws=2)
    assert (sample.dtype, sample.draws, sample.seed) == ("float32", 2, 2)


def test_from_source_rejects_torch_module() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(InputTypeError, match="module.weight"):
        from_source(torch.nn.Linear(3, 4), shape=(3, 4))


# --- issue 15: a numpy-convention initializer that ignores the requested dtype -------------


def test_numpy_initializer_ignoring_dtype_is_refused() -> None:
    """It was cast silently to the requested dtype and passed; now the dtype it returns is checked."""

    def ignores(shape, rng, dtype=np.float32):
        return rng.normal(0.0, 0.02, size=shape)  # float64 whatever dtype says

    for dtype in ("float32", "float16"):
        with pytest.raises(SourceError, match="returned float64 values, expected"):
            from_initializer(ignores, shape=(256, 512), dtype=dtype, convention="numpy")


def test_numpy_initializer_honouring_dtype() -> None:
    def honours(shape, rng, dtype=np.float64):
        return rng.standard_normal(size=shape, dtype=dtype) if dtype != np.float16 else \
            rng.standard_normal(size=shape).astype(dtype)

    for dtype in ("float32", "float64", "float16"):
        s = from_initializer(honours, shape=(8, 4), dtype=dtype, convention="numpy")
        assert s.dtype == dtype and s.chunks[0].dtype == np.dtype(dtype)

    def no_rng(shape, dtype):
        return np.zeros(shape, dtype=dtype)

    assert from_initializer(no_rng, shape=(2, 2), dtype="float16").chunks[0].dtype == np.float16
    # an explicit dtype in kwargs is the user's choice: cast as before
    s = from_initializer(no_rng, shape=(2, 2), dtype="float32", kwargs={"dtype": np.float64})
    assert s.chunks[0].dtype == np.float32
