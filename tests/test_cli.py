"""The command line, called as a user does: ``main(argv)`` with capsys, and ``python -m verifier``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verifier.cli import main

KN = "torch.nn.init.kaiming_normal_(mode='fan_out')"
HE = "he_normal(mode='fan_out')"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_input_error(code, err, *words):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("verifier: error: ")
    assert "Traceback" not in err
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]


# ---- check: success, formats ------------------------------------------------------------------

def test_check_text_pass(capsys):
    pytest.importorskip("torch")
    code, out, err = run(capsys, "check", KN, "--expect", HE, "--shape", "256,512")
    assert code == 0
    assert out.startswith("PASS  torch.nn.init.kaiming_normal_")
    assert "fan_in 512, fan_out 256" in out


def test_check_text_reuses_verdict_str(capsys):
    import verifier

    pytest.importorskip("torch")
    code, out, _ = run(capsys, "check", KN, "--expect", HE, "--shape", "128,64")
    v = verifier.check(KN, HE, shape=(128, 64))
    assert out.strip() == str(v).strip()


def test_check_fail_exit_1(capsys):
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "check", "torch.nn.init.xavier_normal_", "--expect", "he_normal", "--shape", "256,512")
    assert code == 1
    assert out.startswith("FAIL")


def test_check_json_several_shapes(capsys):
    pytest.importorskip("torch")
    code, out, err = run(capsys, "check", KN, "--expect", HE, "--shape", "256,512", "--shape", "64,32,3,3",
                         "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["passed"] is True
    assert data["schema"] == "verifier.report/2"
    assert len(data["verdicts"]) == 2
    names = {c["case"] for c in data["checks"]}
    assert len(names) == 2
    for c in data["checks"]:
        assert {"name", "statistic", "pvalue", "passed"} <= set(c)
    assert "\x1b" not in out and err == ""


def test_check_json_fail(capsys):
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "check", "torch.nn.init.xavier_normal_", "--expect", "he_normal",
                       "--shape", "256,512", "--shape", "64,64", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False
    assert any(c["passed"] is False for c in data["checks"])


def test_check_markdown(capsys):
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "check", KN, "--expect", HE, "--shape", "256,512", "--format", "markdown")
    assert code == 0
    assert "| verdict" in out and "1 case: 1 passed, 0 failed" in out


def test_check_options(capsys):
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "check", "torch.nn.init.kaiming_uniform_", "--expect", "he_uniform",
                       "--shape", "3,3,64,32", "--layout", "keras", "--dtype", "bfloat16", "--seed", "3",
                       "--alpha", "0.001", "--draws", "2", "--convention", "torch")
    # torch computes fans in torch layout, so in keras layout the fans differ: a real failure
    assert code == 1
    assert "2 draws" in out and "bfloat16" in out


def test_check_fans_override_1d(capsys):
    code, out, _ = run(capsys, "check", "numpy.random:standard_normal", "--expect", "normal(0, 1)", "--shape", "5000")
    assert code == 0
    code, out, err = run(capsys, "check", "torch.nn.init.normal_(std=0.1)", "--expect", "he_normal",
                         "--shape", "1000", "--fan-in", "200", "--fan-out", "100")
    if code == 2 and "torch" in err:
        pytest.skip("torch missing")
    assert code == 0, out + err


def test_check_out_dir(capsys, tmp_path):
    pytest.importorskip("torch")
    code, _, _ = run(capsys, "check", KN, "--expect", HE, "--shape", "64,64", "--out", str(tmp_path))
    assert code == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"report.json", "report.md", "report.html", "junit.xml"}


def test_check_file_path_target(capsys):
    target = str(Path(__file__).parent / "sources" / "data" / "my_init.py") + ":my_init(scale=2.0)"
    code, out, _ = run(capsys, "check", target, "--expect", "normal(0, 2)", "--shape", "100,100")
    assert code == 0, out


# ---- saved tensors ----------------------------------------------------------------------------

def test_check_npy_npz(capsys, tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.1, size=(200, 100)).astype(np.float32)
    np.save(tmp_path / "w.npy", a)
    np.savez(tmp_path / "w.npz", fc1=a, fc2=a * 3)
    code, out, _ = run(capsys, "check", str(tmp_path / "w.npy"), "--expect", "normal(0, 0.1)")
    assert code == 0 and "w.npy" in out
    code, out, _ = run(capsys, "check", f"{tmp_path / 'w.npz'}:fc1", "--expect", "normal(0, 0.1)")
    assert code == 0 and "w.npz:fc1" in out
    code, out, _ = run(capsys, "check", f"{tmp_path / 'w.npz'}:fc2", "--expect", "normal(0, 0.1)")
    assert code == 1
    code, _, err = run(capsys, "check", f"{tmp_path / 'w.npz'}:fc9", "--expect", "normal(0, 0.1)")
    assert_input_error(code, err, "fc9", "not found")
    code, _, err = run(capsys, "check", str(tmp_path / "w.npz"), "--expect", "normal(0, 0.1)")
    assert_input_error(code, err, "name one")


def test_check_safetensors_and_pt(capsys, tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    w = torch.empty(256, 128)
    torch.nn.init.kaiming_normal_(w)
    st.save_file({"fc.weight": w}, str(tmp_path / "m.safetensors"))
    torch.save({"fc.weight": w, "step": 3}, tmp_path / "m.pt")
    torch.save(w.to(torch.bfloat16), tmp_path / "t.pt")
    code, out, _ = run(capsys, "check", f"{tmp_path / 'm.safetensors'}:fc.weight", "--expect", "he_normal")
    assert code == 0, out
    code, out, _ = run(capsys, "check", f"{tmp_path / 'm.pt'}:fc.weight", "--expect", "he_normal")
    assert code == 0, out
    code, out, _ = run(capsys, "check", str(tmp_path / "t.pt"), "--expect", "he_normal")
    assert code == 0 and "bfloat16" in out


class Custom:  # a class torch.load(weights_only=True) refuses
    def __init__(self):
        self.w = [1.0, 2.0]


def test_pickle_only_files_refused(capsys, tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    code, _, err = run(capsys, "check", str(tmp_path / "obj.npy"), "--expect", "normal")
    assert_input_error(code, err, "pickle")
    torch = pytest.importorskip("torch")
    torch.save({"w": Custom()}, tmp_path / "custom.pt")
    code, _, err = run(capsys, "check", f"{tmp_path / 'custom.pt'}:w", "--expect", "normal")
    assert_input_error(code, err, "pickle")


# ---- bad input: one line on stderr, exit 2 ----------------------------------------------------

def test_unknown_spec(capsys):
    code, _, err = run(capsys, "check", "numpy.random:standard_normal", "--expect", "he_nromal", "--shape", "10,10")
    assert_input_error(code, err, "unknown spec", "he_normal")


def test_unknown_spec_parameter(capsys):
    code, _, err = run(capsys, "check", "numpy.random:standard_normal", "--expect", "he_normal(mdoe='fan_in')",
                       "--shape", "10,10")
    assert_input_error(code, err, "mdoe")


@pytest.mark.parametrize("shape", ["256,abc", "0,5", "", "256;512", "-1,3"])
def test_malformed_shape(capsys, shape):
    code, _, err = run(capsys, "check", "numpy.random:standard_normal", "--expect", "normal", "--shape", shape)
    assert_input_error(code, err, "shape")


def test_module_not_found(capsys):
    code, _, err = run(capsys, "check", "no_such_pkg_xyz.mod:fn", "--expect", "normal", "--shape", "10,10")
    assert_input_error(code, err, "no_such_pkg_xyz", "not found")


def test_attribute_not_found(capsys):
    code, _, err = run(capsys, "check", "numpy.random:no_such_fn", "--expect", "normal", "--shape", "10,10")
    assert_input_error(code, err, "no_such_fn")


def test_target_not_callable(capsys):
    code, _, err = run(capsys, "check", "math:pi", "--expect", "normal", "--shape", "10,10")
    assert_input_error(code, err)


def test_file_not_found(capsys, tmp_path):
    code, _, err = run(capsys, "check", str(tmp_path / "missing.npy"), "--expect", "normal")
    assert_input_error(code, err, "file not found")
    code, _, err = run(capsys, "check", str(tmp_path / "missing.py") + ":f", "--expect", "normal", "--shape", "4,4")
    assert_input_error(code, err, "not found")


def test_1d_shape_with_fan_spec(capsys):
    code, _, err = run(capsys, "check", "numpy.random:standard_normal", "--expect", "he_normal", "--shape", "100")
    assert_input_error(code, err, "fan")
    # a torch initializer would raise its own fan error: ours comes first, with the fix
    code, _, err = run(capsys, "check", "torch.nn.init.kaiming_normal_", "--expect", "he_normal", "--shape", "100")
    assert_input_error(code, err, "--fan-in/--fan-out")


def test_nan_tensor_is_a_verdict(capsys, tmp_path):
    a = np.random.default_rng(0).normal(size=(50, 50)).astype(np.float32)
    a[3, 4] = np.nan
    np.save(tmp_path / "nan.npy", a)
    code, out, err = run(capsys, "check", str(tmp_path / "nan.npy"), "--expect", "normal(0, 1)")
    assert code == 1 and out.startswith("FAIL") and "NaN" in out and err == ""


def test_integer_tensor(capsys, tmp_path):
    np.save(tmp_path / "int.npy", np.arange(100).reshape(10, 10))
    code, _, err = run(capsys, "check", str(tmp_path / "int.npy"), "--expect", "normal")
    assert_input_error(code, err, "integer")


def test_empty_tensor(capsys, tmp_path):
    np.save(tmp_path / "empty.npy", np.zeros((0, 5), dtype=np.float32))
    code, _, err = run(capsys, "check", str(tmp_path / "empty.npy"), "--expect", "normal")
    assert_input_error(code, err, "empty")


def test_argparse_errors_exit_2(capsys):
    code, _, err = run(capsys, "check", "x")  # --expect missing
    assert_input_error(code, err, "--expect")
    code, _, err = run(capsys, "frobnicate")
    assert_input_error(code, err)
    code, _, err = run(capsys, "check", "numpy.random:standard_normal", "--expect", "normal", "--alpha", "3")
    assert_input_error(code, err, "alpha")
    code, _, _ = run(capsys)
    assert code == 2


def test_help_exit_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "check" in out and "suite" in out and "specs" in out
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0 and "--expect" in out


def test_debug_shows_traceback(capsys):
    from verifier.errors import SpecError

    with pytest.raises(SpecError):
        main(["check", "numpy.random:standard_normal", "--expect", "nope", "--shape", "4,4", "--debug"])


# ---- specs -------------------------------------------------------------------------------------

def test_specs_text_json_markdown(capsys):
    import verifier

    code, out, _ = run(capsys, "specs")
    assert code == 0
    for info in verifier.available_specs():
        assert info.name in out and info.formula in out
    assert "kaiming_normal_" in out  # aliases
    code, out, _ = run(capsys, "specs", "--format", "json")
    data = json.loads(out)
    assert {s["name"] for s in data["specs"]} == {i.name for i in verifier.available_specs()}
    code, out, _ = run(capsys, "specs", "--format", "markdown")
    assert code == 0 and "| `he_normal`" in out


# ---- suite -------------------------------------------------------------------------------------

def test_suite_unknown(capsys):
    code, _, err = run(capsys, "suite", "nosuchsuite")
    assert_input_error(code, err, "unknown suite", "torch")


def test_suite_list(capsys):
    code, out, _ = run(capsys, "suite", "--list")
    assert code == 0 and "torch" in out.split() and "numpy" in out.split()


def test_suite_numpy_cli(capsys, tmp_path):
    code, out, _ = run(capsys, "suite", "numpy", "--out", str(tmp_path), "--no-plots")
    assert code == 0, out
    assert "cases:" in out and "0 failed" in out
    assert (tmp_path / "report.json").exists()


def test_suite_torch_quick_json(capsys, tmp_path):
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "suite", "torch", "--quick", "--format", "json", "--out", str(tmp_path), "--no-plots")
    assert code == 0  # only known deviations fail
    data = json.loads(out)
    assert data["summary"]["unexpected_failures"] == 0
    assert data["summary"]["known_deviations"] >= 1
    assert all(v["known_deviation"] for v in data["verdicts"] if not v["passed"])


# ---- subprocess: the real entry point ----------------------------------------------------------

def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_python_m_verifier_json():
    pytest.importorskip("torch")
    p = subprocess.run([sys.executable, "-m", "verifier", "check", KN, "--expect", HE, "--shape", "128,64",
                        "--format", "json"], capture_output=True, text=True, env=_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["passed"] is True
    assert "\x1b" not in p.stdout and p.stderr == ""


def test_python_m_verifier_error():
    p = subprocess.run([sys.executable, "-m", "verifier", "check", "math:pi", "--expect", "nope"],
                       capture_output=True, text=True, env=_env(), timeout=120)
    assert p.returncode == 2
    assert p.stderr.startswith("verifier: error:") and "Traceback" not in p.stderr
