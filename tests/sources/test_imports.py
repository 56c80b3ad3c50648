"""Tests of verifier.sources.imports and of from_source with import strings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from verifier.errors import SourceError
from verifier.sources import Target, from_source, load_target, parse_kwargs

DATA = Path(__file__).resolve().parent / "data"
MY_INIT = DATA / "my_init.py"


def test_module_colon_attr() -> None:
    target = load_target("math:sqrt")
    assert isinstance(target, Target)
    assert target.obj is math.sqrt and target.kwargs == {} and target.display == "math:sqrt"


def test_module_colon_class_attr() -> None:
    assert load_target("collections:OrderedDict.fromkeys").obj.__name__ == "fromkeys"


def test_dotted_longest_module_prefix() -> None:
    torch = pytest.importorskip("torch")
    target = load_target("torch.nn.init.kaiming_normal_")
    assert target.obj is torch.nn.init.kaiming_normal_
    assert load_target("os.path.join").obj.__name__ == "join"


def test_call_syntax_kwargs() -> None:
    pytest.importorskip("torch")
    target = load_target("torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')")
    assert target.kwargs == {"mode": "fan_out", "nonlinearity": "relu"}
    assert target.display == "torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')"


def test_literals() -> None:
    kwargs, rendered = parse_kwargs(
        "(a=1, b=-2.5, c='x', d=True, e=None, f=(1, -2), g=[0.5, 'y'], h=sqrt(5), "
        "i=math.sqrt(2.0), j=+3, k=1e-3)"
    )
    assert kwargs == {
        "a": 1, "b": -2.5, "c": "x", "d": True, "e": None, "f": (1, -2), "g": [0.5, "y"],
        "h": math.sqrt(5), "i": math.sqrt(2.0), "j": 3, "k": 1e-3,
    }
    assert rendered.startswith("(a=1, b=-2.5, c='x'") and "h=sqrt(5)" in rendered


@pytest.mark.parametrize(
    "call",
    ["(a=__import__('os'))", "(a=1 + 2)", "(a=x)", "(a=sqrt(-1))", "(a=sqrt(2, 3))",
     "(a={'k': 1})", "(a=lambda: 1)", "(a=open('f'))"],
)
def test_non_literals_rejected(call: str) -> None:
    with pytest.raises(SourceError):
        parse_kwargs(call)


def test_positional_arguments_rejected() -> None:
    with pytest.raises(SourceError, match="keyword arguments only"):
        load_target("math:sqrt(2)")


def test_double_star_and_repeats_rejected() -> None:
    with pytest.raises(SourceError, match="keyword arguments only"):
        load_target("math:sqrt(**{'a': 1})")
    with pytest.raises(SourceError, match="repeated"):
        load_target("math:sqrt(a=1, a=2)")


def test_syntax_error() -> None:
    with pytest.raises(SourceError, match="syntax error in the argument list") as info:
        load_target("math:sqrt(mode='fan_out',,)")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "text", ["", "   ", "math:", ":sqrt", "math:sqrt(a=1", "math:sqrt)", "ma th:sqrt", "math:1x",
             "sqrt", "math:sqrt(a=1)(b=2)"],
)
def test_malformed(text: str) -> None:
    with pytest.raises(SourceError):
        load_target(text)


def test_module_not_found() -> None:
    with pytest.raises(SourceError, match="module 'no_such_pkg_xyz' not found"):
        load_target("no_such_pkg_xyz.mod:attr")
    with pytest.raises(SourceError, match="module 'no_such_pkg_xyz' not found"):
        load_target("no_such_pkg_xyz.mod.attr")


def test_attribute_not_found_suggests() -> None:
    with pytest.raises(SourceError, match=r"has no attribute 'sqtr'; did you mean .*sqrt"):
        load_target("math:sqtr")
    pytest.importorskip("torch")
    with pytest.raises(SourceError, match="did you mean .*kaiming_normal_"):
        load_target("torch.nn.init.kaiming_normall_")


def test_file_path_relative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA.parent)
    target = load_target("data/my_init.py:my_init(scale=0.5)")
    assert target.obj.__name__ == "my_init"
    assert target.kwargs == {"scale": 0.5}
    assert target.display == "data/my_init.py:my_init(scale=0.5)"


def test_file_path_absolute_and_class_attr() -> None:
    target = load_target(f"{MY_INIT}:Inits.uniform")
    assert target.obj.__name__ == "uniform"


def test_file_not_found() -> None:
    with pytest.raises(SourceError, match="file not found"):
        load_target("no/such/file.py:init")


def test_file_attribute_not_found() -> None:
    with pytest.raises(SourceError, match="did you mean my_init"):
        load_target(f"{MY_INIT}:my_inti")


def test_file_needs_attribute() -> None:
    with pytest.raises(SourceError, match="needs the attribute"):
        load_target(str(MY_INIT))


def test_file_that_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('broken module')\n")
    with pytest.raises(SourceError, match="running .* failed: RuntimeError: broken module"):
        load_target(f"{bad}:x")
    bad.write_text("def f(:\n")
    with pytest.raises(SourceError, match="SyntaxError"):
        load_target(f"{bad}:f")


# --- from_source with strings --------------------------------------------------------------


def test_from_source_file_initializer() -> None:
    a = from_source(f"{MY_INIT}:my_init(scale=0.01)", shape=(50, 4), seed=1, draws=2)
    b = from_source(f"{MY_INIT}:my_init(scale=0.01)", shape=(50, 4), seed=1, draws=2)
    assert a.convention == "numpy" and a.dtype == "float32" and a.n == 400
    assert a.source == f"{MY_INIT}:my_init(scale=0.01) (numpy convention)"
    np.testing.assert_array_equal(np.concatenate(a.chunks), np.concatenate(b.chunks))
    assert float(np.abs(np.concatenate(a.chunks)).max()) < 0.1


def test_from_source_file_legacy_initializer() -> None:
    sample = from_source(f"{MY_INIT}:legacy_init(low=-0.5, high=0.5)", shape=(10,), dtype="fp64")
    assert sample.dtype == "float64"
    assert float(np.abs(sample.chunks[0]).max()) <= 0.5


def test_from_source_file_values() -> None:
    sample = from_source(f"{MY_INIT}:WEIGHTS")
    assert sample.convention == "values" and sample.shape == (3, 4)
    assert sample.source == f"{MY_INIT}:WEIGHTS (numpy array)"
    with pytest.raises(SourceError, match="drop the keyword arguments"):
        from_source(f"{MY_INIT}:WEIGHTS(scale=1)")


def test_from_source_torch_string() -> None:
    pytest.importorskip("torch")
    sample = from_source(
        "torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')",
        shape=(32, 16), dtype="bf16", seed=5,
    )
    assert sample.source == "torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')"
    assert (sample.convention, sample.dtype, sample.seed) == ("torch", "bfloat16", 5)


def test_from_source_string_naming_non_source() -> None:
    from verifier.errors import InputTypeError

    with pytest.raises(InputTypeError, match="str"):
        from_source("os:sep")
    with pytest.raises(InputTypeError, match="float"):
        from_source("math:pi")
