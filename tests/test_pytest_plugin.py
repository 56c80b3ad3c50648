"""End-to-end tests of the pytest plugin (verifier/pytest_plugin.py), with real pytest sessions.

Every session runs in a fresh pytester directory holding numpy initializers, so the tests are
fast and need no torch (one torch test is guarded by importorskip). xdist and import-isolation
tests run pytest in a subprocess.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap

import pytest

from verifier.pytest_plugin import derive_seed

pytest_plugins = ["pytester"]

INITS = """
import math

def good(shape, rng, dtype="float32"):
    return rng.normal(0.0, math.sqrt(2.0 / math.prod(shape[1:])), size=shape).astype(dtype)

def bad(shape, rng, dtype="float32"):          # twice the variance He init should have
    return rng.normal(0.0, math.sqrt(4.0 / math.prod(shape[1:])), size=shape).astype(dtype)

def cast(shape, rng):         # ignores the dtype it is asked for: verifier would have to cast it
    return rng.normal(0.0, math.sqrt(2.0 / math.prod(shape[1:])), size=shape)
"""

FIXTURE_TESTS = """
from inits import good, bad

def test_good(conformance):
    verdict = conformance.check(good, "he_normal", shape=(128, 128))
    assert verdict.passed

def test_bad(conformance):
    conformance.check(bad, "he_normal", shape=(128, 128))
"""

CONFIG = """
[[tool.verifier.check]]
target = "inits.py:good"
expect = "he_normal"
shapes = [[64, 64], [128, 256]]
dtype = ["float32", "float16"]

[[tool.verifier.check]]
target = "inits.py:bad"
expect = "he_normal"
shapes = [[128, 128]]
"""


def _has_report_writers() -> bool:
    if importlib.util.find_spec("verifier.report") is None:
        return False
    import verifier.report

    return hasattr(verifier.report, "write_reports")


def _summary_lines(result: pytest.RunResult) -> list[str]:
    """The lines of the conformance section of the terminal summary."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if re.match(r"^=+ conformance: ", line))
    section = []
    for line in lines[start + 1:]:
        if not re.match(r"^(PASS|FAIL)  ", line):
            break
        section.append(line)
    return section


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(inits=INITS)
    return pytester


# --------------------------------------------------------------------------- the fixture


def test_fixture_pass_and_fail_with_readable_verdict(project: pytest.Pytester) -> None:
    project.makepyfile(test_fixture=FIXTURE_TESTS)
    result = project.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "E       AssertionError: std ×1.4* of he_normal expected: likely gain doubled",
        "E       FAIL  bad (numpy convention)",
        "*expected  he_normal = N(0, 0.125²)*",
        "*observed  std = 1.4* × expected (99% CI *",
        "*variance *REJECT*",
        "test_fixture.py:*: AssertionError",
        "FAILED test_fixture.py::test_bad - AssertionError: std ×1.4*",
    ])


def test_fixture_seed_is_derived_from_nodeid_explicit_seed_wins(project: pytest.Pytester) -> None:
    project.makepyfile(test_seed="""
        from inits import good
        from verifier.pytest_plugin import derive_seed

        def test_derived(conformance, request):
            first = conformance.check(good, "he_normal", shape=(64, 64))
            assert first.sample.seed == derive_seed(request.node.nodeid, 5)
            second = conformance.check(good, "he_normal", shape=(64, 64))
            assert second.sample.seed == derive_seed(request.node.nodeid + "#1", 5)
            assert len(conformance.verdicts) == 2

        def test_explicit(conformance):
            assert conformance.check(good, "he_normal", shape=(64, 64), seed=7).sample.seed == 7

        def test_run_and_record_do_not_fail(conformance):
            import verifier
            from inits import bad
            assert not conformance.run(bad, "he_normal", shape=(64, 64)).passed
            conformance.record(verifier.check(good, "he_normal", shape=(64, 64)))
            assert len(conformance.verdicts) == 2
    """)
    result = project.runpytest("--verifier-seed", "5")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*= conformance: 5 verdicts, 1 failed =*"])


def test_derive_seed_is_stable() -> None:
    # a fixed value: never Python's randomised hash(), so every run and worker agrees
    assert derive_seed("pyproject.toml::good[64x64-float32]", 0) == derive_seed(
        "pyproject.toml::good[64x64-float32]", 0
    )
    assert derive_seed("a", 0) != derive_seed("a", 1) != derive_seed("b", 1)
    code = "from verifier.pytest_plugin import derive_seed; print(derive_seed('t.py::x', 3))"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"PYTHONHASHSEED": str(h)}, check=True).stdout.strip()
        for h in (1, 2)
    }
    assert runs == {str(derive_seed("t.py::x", 3))}


def test_assert_conforms_still_works_in_plain_tests(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="""
        import pytest, verifier
        from inits import good, bad

        def test_plain():
            verifier.assert_conforms(good, "he_normal", shape=(64, 64))
            with pytest.raises(AssertionError, match="FAIL  bad"):
                verifier.assert_conforms(bad, "he_normal", shape=(128, 128))
    """)
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    assert "conformance:" not in result.stdout.str()  # plain calls are not recorded


# --------------------------------------------------------------------------- configuration


def test_config_items_are_collected_per_target_shape_dtype(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "pyproject.toml::good[64x64-float32]",
        "pyproject.toml::good[64x64-float16]",
        "pyproject.toml::good[128x256-float32]",
        "pyproject.toml::good[128x256-float16]",
        "pyproject.toml::bad[128x128-float32]",
        "5 tests collected*",
    ])


def test_config_good_passes_broken_fails_naming_it(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    result = project.runpytest("-rf")
    result.assert_outcomes(passed=4, failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*_ bad[[]128x128-float32[]] _*",
        "std ×1.4* of he_normal expected: likely gain doubled",
        "FAIL  inits.py:bad (numpy convention)",
        "*observed  std = 1.4* × expected*",
        "*declared  [[][[]tool.verifier.check[]][]] #2 (target 'inits.py:bad') in pyproject.toml",
        "FAILED pyproject.toml::bad[[]128x128-float32[]] - std ×1.4*",
    ])
    assert "Traceback" not in out and "def runtest" not in out and "raise " not in out


def test_config_keys_dtype_string_seed_alpha_layout_name(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject="""
        [[tool.verifier.check]]
        target = "inits.py:good"
        expect = "he_normal(mode='fan_in')"
        shapes = [[3, 3, 64, 32]]
        layout = "keras"
        dtype = "float64"
        draws = 2
        seed = 11
        alpha = 0.001
        name = "good_keras"
        fan_in = 6144  # what inits.good assumes: prod(shape[1:])
    """)
    project.makeconftest("""
        def pytest_terminal_summary(terminalreporter, config):
            from verifier.pytest_plugin.records import STATE
            (record,) = config.stash[STATE].records
            v = record.verdict
            terminalreporter.write_line(
                f"GOT seed={v.sample.seed} draws={v.sample.draws} alpha={v.alpha} "
                f"layout={v.sample.layout} fan_in={v.sample.fans.fan_in} dtype={v.sample.dtype}")
    """)
    result = project.runpytest("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "pyproject.toml::good_keras[[]3x3x64x32-float64[]] PASSED*",
        "GOT seed=11 draws=2 alpha=0.001 layout=keras fan_in=6144 dtype=float64",
    ])


def test_config_runtime_source_error_is_one_readable_failure(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject="""
        [[tool.verifier.check]]
        target = "missing.py:init"
        expect = "he_normal"
        shapes = [[8, 8]]
    """)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["SourceError: file not found: 'missing.py'*; check the path"])
    assert "Traceback" not in result.stdout.str()


def test_config_file_targets_are_relative_to_pyproject(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    sub = project.mkdir("sub")
    result = project.run(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                         str(project.path / "pyproject.toml"), "-k", "good and 64x64", timeout=60)
    assert result.ret == 0, result.stdout.str()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = project.run(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                             str(project.path / "pyproject.toml"), "-k", "good and 64x64", timeout=60)
    assert "2 passed" in result.stdout.str(), result.stdout.str()


def test_testpaths_with_pyproject_collects_config_and_tests(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject='[tool.pytest.ini_options]\ntestpaths = ["tests", "pyproject.toml"]\n'
                     + CONFIG)
    project.mkdir("tests")
    (project.path / "tests" / "test_t.py").write_text("def test_t():\n    pass\n")
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["tests/test_t.py::test_t", "pyproject.toml::good*", "6 tests collected*"])
    # running one test file does not add the configured checks
    result = project.runpytest("tests/test_t.py", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["1 test collected*"])


def test_pyproject_without_checks_collects_nothing(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject='[project]\nname = "x"\ndependencies = ["verifier"]\n')
    project.makepyfile(test_a="def test_a():\n    pass\n")
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_a.py::test_a", "1 test collected*"])


GOOD_TABLE = 'target = "inits.py:good"\nexpect = "he_normal"\nshapes = [[8, 8]]\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('target = "inits.py:good"\nshapes = [[8, 8]]\n',
         "missing key 'expect'; write e.g. expect = \"he_normal\""),
        ('expect = "he_normal"\nshapes = [[8, 8]]\n', "missing key 'target'; write e.g. target = "),
        ('target = "inits.py:good"\nexpect = "he_normal"\n', "missing key 'shapes'; write e.g. shapes = [[256, 512]]"),
        (GOOD_TABLE + "shape = [8, 8]\n", "unknown key 'shape'; did you mean 'shapes'? the keys are target, expect, shapes, dtype"),
        (GOOD_TABLE.replace("[[8, 8]]", "[8, 8]"),
         "is one shape, not a list of shapes (did you mean shapes = [[8, 8]]?)"),
        (GOOD_TABLE.replace("[[8, 8]]", "[[8, 0]]"), "has [8, 0], which is not a shape (a list of positive ints)"),
        (GOOD_TABLE.replace("[[8, 8]]", '"8x8"'), "shapes = '8x8' is not a non-empty list of shapes"),
        (GOOD_TABLE.replace('"he_normal"', "3"), "expect = 3 is not a non-empty string"),
        (GOOD_TABLE.replace('"he_normal"', '"he_nrmal"'), "did you mean 'he_normal'?"),
        (GOOD_TABLE + 'dtype = "int8"\n', "dtype = 'int8' has 'int8', which is not a float dtype"),
        (GOOD_TABLE + "dtype = [32]\n", "dtype = [32] is not a string or a list of strings"),
        (GOOD_TABLE + "draws = 0\n", "draws = 0 is not an integer >= 1; write e.g. draws = 4"),
        (GOOD_TABLE + 'seed = "1"\n', "seed = '1' is not an integer >= 0"),
        (GOOD_TABLE + "alpha = 2.0\n", "alpha = 2.0 is out of range"),
        (GOOD_TABLE + 'layout = "nchw"\n', "layout = 'nchw' is not a layout"),
        (GOOD_TABLE + 'name = "a b"\n', "name = 'a b' has characters other than"),
    ],
)
def test_malformed_table_is_a_collection_error(project: pytest.Pytester, toml: str, message: str) -> None:
    project.makefile(".toml", pyproject="[[tool.verifier.check]]\n" + toml)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED  # collection errors stop the session
    out = result.stdout.str()
    assert "ERROR collecting pyproject.toml" in out
    assert "pyproject.toml: [[tool.verifier.check]] #1" in out
    assert message in out, out
    assert "Traceback" not in out


def test_malformed_section_and_duplicate_names(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject='[tool.verifier.check]\ntarget = "x"\n')
    result = project.runpytest()
    result.stdout.fnmatch_lines(["*tool.verifier.check must be an array of tables*(double brackets)*"])
    project.makefile(".toml", pyproject=f"[[tool.verifier.check]]\n{GOOD_TABLE}\n[[tool.verifier.check]]\n{GOOD_TABLE}")
    result = project.runpytest()
    result.stdout.fnmatch_lines([
        "*#2 (target 'inits.py:good'): the name 'good' is already used by *#1*; give one of them its own "
        'name, e.g. name = "good_2"',
    ])


# --------------------------------------------------------------------------- options


def test_options_are_in_the_verifier_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines([
        "verifier: weight-initializer conformance checks:",
        "*--verifier-alpha=ALPHA*",
        "*--verifier-seed=SEED*",
        "*--verifier-draws=K*",
        "*--verifier-report=DIR*",
    ])
    result.stdout.fnmatch_lines(["  verifier_alpha (string):", "*default --verifier-alpha"])


OPTION_PROBE = """
from inits import good

def test_probe(conformance, request):
    from verifier.pytest_plugin import derive_seed
    v = conformance.check(good, "he_normal", shape=(64, 64))
    print(f"GOT alpha={v.alpha} draws={v.sample.draws} seed_ok={v.sample.seed == derive_seed(request.node.nodeid, {base})}")
"""


@pytest.mark.parametrize(
    ("args", "ini", "expected"),
    [
        ((), "", "alpha=0.0001 draws=1 seed_ok=True"),
        (("--verifier-alpha", "0.01", "--verifier-draws", "3", "--verifier-seed", "9"), "",
         "alpha=0.01 draws=3 seed_ok=True"),
        ((), "verifier_alpha = 0.02\nverifier_draws = 2\nverifier_seed = 9\n", "alpha=0.02 draws=2 seed_ok=True"),
        (("--verifier-alpha=0.03",), "verifier_alpha = 0.02\nverifier_seed = 9\n", "alpha=0.03 draws=1 seed_ok=True"),
    ],
)
def test_alpha_seed_draws_options_and_ini(project: pytest.Pytester, args: tuple[str, ...], ini: str,
                                          expected: str) -> None:
    base = 9 if any("seed" in a for a in (*args, ini)) else 0
    project.makepyfile(test_probe=OPTION_PROBE.replace("{base}", str(base)))
    if ini:
        project.makeini("[pytest]\n" + ini)
    result = project.runpytest("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*GOT {expected}"])


def test_options_apply_to_config_items_and_seed_changes_draw(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    project.makeconftest("""
        def pytest_terminal_summary(terminalreporter, config):
            from verifier.pytest_plugin.records import STATE
            for r in config.stash[STATE].sorted_records():
                v = r.verdict
                terminalreporter.write_line(f"GOT {r.nodeid} alpha={v.alpha} draws={v.sample.draws} seed={v.sample.seed}")
    """)
    first = project.runpytest("--verifier-alpha", "0.001", "--verifier-draws", "2", "-k", "good and 64x64 and float32")
    first.stdout.fnmatch_lines([
        f"GOT pyproject.toml::good[[]64x64-float32[]] alpha=0.001 draws=2 "
        f"seed={derive_seed('pyproject.toml::good[64x64-float32]', 0)}",
    ])
    other = project.runpytest("--verifier-seed", "4", "-k", "good and 64x64 and float32")
    other.stdout.fnmatch_lines([f"GOT * seed={derive_seed('pyproject.toml::good[64x64-float32]', 4)}"])


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--verifier-alpha=0.9", "--verifier-alpha='0.9' is not a level (alpha must be a number in (0, 0.5]"),
        ("--verifier-alpha=x", "--verifier-alpha='x' is not a level"),
        ("--verifier-seed=-1", "--verifier-seed='-1' is not a seed; give a non-negative integer"),
        ("--verifier-draws=0", "--verifier-draws='0' is not a number of draws; give a positive integer"),
    ],
)
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, option: str, message: str) -> None:
    result = pytester.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


# --------------------------------------------------------------------------- summary and reports


def test_terminal_summary_lists_every_verdict_failures_first(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    project.makepyfile(test_fixture=FIXTURE_TESTS)
    result = project.runpytest()
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*= conformance: 7 verdicts, 2 failed =*"])
    lines = _summary_lines(result)
    assert [line[:4] for line in lines] == ["FAIL"] * 2 + ["PASS"] * 5
    assert lines[0].startswith("FAIL  std ×1.4")
    assert "of he_normal expected: likely gain doubled  inits.py:bad (numpy convention)  128x128  float32  std x1.4" \
        in lines[0]
    assert "(99% CI 1.3" in lines[0] and "min p <1e-300 (variance)" in lines[0]
    assert lines[0].endswith("[pyproject.toml::bad[128x128-float32]]")
    assert lines[1].endswith("[test_fixture.py::test_bad]")
    assert any("64x64  float16  std x" in line for line in lines)
    # deterministic: the same session gives the same verdicts
    again = project.runpytest()
    assert _summary_lines(again) == lines


def test_no_summary_without_verdicts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    assert "conformance" not in pytester.runpytest().stdout.str()


def test_report_option_writes_reports(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    project.makepyfile(test_fixture=FIXTURE_TESTS)
    result = project.runpytest("--verifier-report", "out")
    result.assert_outcomes(passed=5, failed=2)
    if not _has_report_writers():
        result.stdout.fnmatch_lines(["verifier: the report writers are not available*"])
        pytest.skip("verifier.report.write_reports does not exist yet")
    result.stdout.fnmatch_lines(["conformance reports (7 verdicts) written: *"])
    out = project.path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "report.json", "report.md"]
    data = _assert_json_report(out, 7, failed=2)
    assert data["environment"]["seed"] == 0
    assert "pytest --verifier-report out" in json.dumps(data["environment"])
    assert data["verdicts"][0]["status"] != "pass"  # failures first
    junit = (out / "junit.xml").read_text()
    assert junit.count("<testcase") == 7 and junit.count("<failure") == 2
    assert "Plots are not included" not in (out / "report.html").read_text() or importlib.util.find_spec(
        "matplotlib") is None  # the summaries travel with the verdicts when reports are asked for


def test_unwritable_report_dir_fails_the_session(project: pytest.Pytester) -> None:
    project.makepyfile(test_fixture=FIXTURE_TESTS.split("def test_bad")[0])
    (project.path / "taken").write_text("a file, not a directory")
    result = project.runpytest("--verifier-report", "taken")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["verifier: *"])


def _assert_json_report(out, n: int, failed: int) -> dict:  # noqa: ANN001
    data = json.loads((out / "report.json").read_text())
    assert data["summary"]["cases"] == len(data["verdicts"]) == n
    assert data["summary"]["failed"] == failed
    return data


# --------------------------------------------------------------------------- off switch, import, xdist


def test_plugin_off_with_p_no_verifier(project: pytest.Pytester) -> None:
    project.makefile(".toml", pyproject=CONFIG)
    project.makepyfile(test_fixture=FIXTURE_TESTS)
    result = project.runpytest("-p", "no:verifier")
    result.assert_outcomes(errors=2)  # the fixture is gone and pyproject.toml is not collected
    result.stdout.fnmatch_lines(["*fixture 'conformance' not found*"])
    assert "pyproject.toml::" not in result.stdout.str()
    assert "--verifier-" not in pytester_help(project, "-p", "no:verifier")


def pytester_help(pytester: pytest.Pytester, *args: str) -> str:
    return pytester.runpytest("--help", *args).stdout.str()


def test_plugin_module_imports_no_torch() -> None:
    code = "import sys, verifier.pytest_plugin; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_xdist_two_workers_merge_every_verdict_once(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.makefile(".toml", pyproject=CONFIG)
    project.makepyfile(test_fixture=FIXTURE_TESTS)
    project.makepyfile(test_more="""
        from inits import good

        def test_two(conformance):
            conformance.check(good, "he_normal", shape=(64, 64))
            conformance.check(good, "he_normal", shape=(64, 128))
    """)
    serial = project.runpytest_subprocess("-p", "no:cacheprovider", "--verifier-report", "serial")
    args = ["-p", "no:cacheprovider", "-n", "2", "--verifier-report", "merged"]
    result = project.runpytest_subprocess(*args)
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(["*= conformance: 9 verdicts, 2 failed =*"])
    lines = _summary_lines(result)
    assert len(lines) == 9 and len(set(lines)) == 9
    # identical to the run without xdist: same seeds, same verdicts, same order
    assert lines == _summary_lines(serial)
    assert sum("[test_more.py::test_two]" in line for line in lines) == 2
    if _has_report_writers():
        result.stdout.fnmatch_lines(["conformance reports (9 verdicts) written: *"])
        data = _assert_json_report(project.path / "merged", 9, failed=2)
        assert sorted(v["sample"]["seed"] for v in data["verdicts"]) == sorted(
            int(re.search(r"seed (\d+)", v["text"]).group(1)) for v in data["verdicts"])
        serial_data = _assert_json_report(project.path / "serial", 9, failed=2)
        assert [v["text"] for v in data["verdicts"]] == [v["text"] for v in serial_data["verdicts"]]


def test_torch_initializer_from_config(pytester: pytest.Pytester) -> None:
    pytest.importorskip("torch")
    pytester.makefile(".toml", pyproject="""
        [[tool.verifier.check]]
        target = "torch.nn.init.kaiming_normal_(mode='fan_out')"
        expect = "he_normal(mode='fan_out')"
        shapes = [[64, 128]]
        dtype = ["float32", "bfloat16"]

        [[tool.verifier.check]]
        name = "wrong_mode"
        target = "torch.nn.init.kaiming_normal_(mode='fan_in')"
        expect = "he_normal(mode='fan_out')"
        shapes = [[64, 256]]
    """)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "pyproject.toml::kaiming_normal_[[]64x128-float32[]] PASSED*",
        "pyproject.toml::kaiming_normal_[[]64x128-bfloat16[]] PASSED*",
        "pyproject.toml::wrong_mode[[]64x256-float32[]] FAILED*",
        "FAIL  torch.nn.init.kaiming_normal_(mode='fan_in')",
        "*observed  std = 0.4* × expected*",
    ])


# --------------------------------------------------------------------------- the README snippet

README_SNIPPET = '''\
### Use it in CI

Installing `verifier` activates its pytest plugin. Guard your initializer with the
`conformance` fixture, which takes the same keywords as `verifier.check`:

```python
# tests/test_init.py
def test_my_init_is_he_normal(conformance):
    conformance.check("mypkg.init:my_init", "he_normal", shape=(256, 512))
```

or declare the checks in `pyproject.toml`, with no test code at all. Each initializer ×
shape × dtype becomes its own test, e.g. `pyproject.toml::my_init[256x512-float32]`:

```toml
[tool.pytest.ini_options]
testpaths = ["tests", "pyproject.toml"]  # collect the checks below with your tests

[[tool.verifier.check]]
target = "mypkg.init:my_init"  # or "mypkg/init.py:my_init", "torch.nn.init.kaiming_normal_(mode='fan_out')"
expect = "he_normal"
shapes = [[256, 512], [64, 32, 3, 3]]
dtype = ["float32", "float16"]  # optional; also layout, draws, seed, alpha, name
```

```console
$ pytest --verifier-report conformance-report
```

A rejected check fails its test with the verdict: expected and observed std with its
confidence interval, and each rejected check with its p-value. The session ends with one
line per verdict, failures first, and `--verifier-report DIR` writes the JSON, Markdown,
HTML and JUnit reports of all of them. Seeds derive from each test's id (`--verifier-seed`
sets the base), so every run, and every `pytest -n auto` worker, gets the same verdicts.
Other options: `--verifier-alpha`, `--verifier-draws` (also ini keys `verifier_alpha`, …);
`pytest -p no:verifier` turns the plugin off.
'''

MYPKG_INIT = """
import math

def my_init(shape, rng, dtype="float32"):
    fan_in = math.prod(shape[1:])
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape).astype(dtype)
"""


def _fenced(markdown: str, lang: str) -> str:
    (block,) = re.findall(rf"```{lang}\n(.*?)```", markdown, flags=re.S)
    return block


def test_readme_snippet_runs(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("mypkg")
    (pytester.path / "mypkg" / "init.py").write_text(textwrap.dedent(MYPKG_INIT))
    pytester.syspathinsert()  # stands for `pip install -e .` of the user's package
    test_code = _fenced(README_SNIPPET, "python")
    first, _, body = test_code.partition("\n")
    assert first == "# tests/test_init.py"
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_init.py").write_text(body)
    (pytester.path / "pyproject.toml").write_text(_fenced(README_SNIPPET, "toml"))
    command = _fenced(README_SNIPPET, "console").strip()
    assert command.startswith("$ pytest ")
    result = pytester.runpytest(*command.split()[2:], "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines_random([
        "tests/test_init.py::test_my_init_is_he_normal PASSED*",
        "pyproject.toml::my_init[[]256x512-float32[]] PASSED*",
        "pyproject.toml::my_init[[]256x512-float16[]] PASSED*",
        "pyproject.toml::my_init[[]64x32x3x3-float32[]] PASSED*",
        "pyproject.toml::my_init[[]64x32x3x3-float16[]] PASSED*",
        "*= conformance: 5 verdicts, 0 failed =*",
    ])
    if _has_report_writers():
        assert (pytester.path / "conformance-report").is_dir()


def test_readme_snippet_runs_in_a_fresh_project_without_installing_it(pytester: pytest.Pytester) -> None:
    """The README's pyproject example, in a new folder, in a new process, the package not installed
    and not on sys.path: module targets resolve from the rootdir, as ``python -m`` would."""
    pytester.mkpydir("mypkg")
    (pytester.path / "mypkg" / "init.py").write_text(textwrap.dedent(MYPKG_INIT))
    (pytester.path / "pyproject.toml").write_text(_fenced(README_SNIPPET, "toml"))
    command = _fenced(README_SNIPPET, "console").strip()
    result = pytester.runpytest_subprocess(*command.split()[2:], "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*= conformance: 4 verdicts, 0 failed =*"])
    assert "mypkg" not in sys.modules or not str(getattr(sys.modules["mypkg"], "__file__", "")).startswith(
        str(pytester.path))


def test_unknown_verifier_table_warns_and_strict_fails(pytester: pytest.Pytester) -> None:
    """``[[tool.verifier.checks]]`` (a typo) is not silently ignored."""
    pytester.makefile(".toml", pyproject="""
        [[tool.verifier.checks]]
        target = "x:y"
        expect = "he_normal"
        shapes = [[8, 8]]
    """)
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)  # (under xdist pytest adds its own assert-rewrite warnings)
    result.stdout.fnmatch_lines(["*PytestConfigWarning: unknown key tool.verifier.checks in pyproject.toml; did you mean "
                                 "[[][[]tool.verifier.check[]][]]?*"])
    strict = pytester.runpytest("--verifier-strict", "-p", "no:cacheprovider")
    assert strict.ret == pytest.ExitCode.INTERRUPTED
    strict.stdout.fnmatch_lines(["*unknown key tool.verifier.checks*(--verifier-strict)*"])


def test_report_with_no_verdict_is_not_a_pass(pytester: pytest.Pytester) -> None:
    """Asking for a conformance report in a session that checked nothing ends like "no tests ran"."""
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest("--verifier-report", "out", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*no conformance verdict was recorded*"])


def test_fixture_propagate(pytester: pytest.Pytester) -> None:
    """``conformance.propagate`` passes a deep ReLU net with He init and fails it with Xavier."""
    pytest.importorskip("torch")
    pytester.makepyfile(test_prop="""
        import torch

        def net(init):
            layers = []
            for _ in range(8):
                lin = torch.nn.Linear(256, 256, bias=False)
                if init == "he":
                    torch.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
                else:
                    torch.nn.init.xavier_normal_(lin.weight)
                layers += [lin, torch.nn.ReLU()]
            return torch.nn.Sequential(*layers)

        def test_he(conformance):
            report = conformance.propagate(lambda: net("he"), batch=256, seeds=8)
            assert report.passed

        def test_xavier(conformance):
            conformance.propagate(lambda: net("xavier"), batch=256)
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_xavier*", "*AssertionError*"])


def test_contracts_on_by_default_catch_a_silent_cast(project: pytest.Pytester) -> None:
    """A numpy-style initializer asked for float16 that has no dtype argument fails its ``dtype``
    contract in the plugin (no silent cast); ``contracts = false`` or --verifier-no-contracts opts out."""
    project.makefile(".toml", pyproject="""
        [[tool.verifier.check]]
        target = "inits.py:cast"
        expect = "he_normal"
        shapes = [[64, 64]]
        dtype = "float16"
    """)
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*dtype rejected against he_normal*"])
    off = project.runpytest("--verifier-no-contracts", "-p", "no:cacheprovider")
    off.assert_outcomes(passed=1)


def test_contracts_fail_a_wrong_dtype_or_shape_not_error(project: pytest.Pytester) -> None:
    """An initializer that takes dtype and ignores it (numpy's float64 where float16 was asked), or
    returns the transposed shape: a failed test with the reason as headline, not a refused source."""
    project.makepyfile(test_wrong="""
        import math
        import numpy as np

        def ignores(shape, rng, dtype=np.float32):
            return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)

        def transposed(shape, rng):
            return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=tuple(shape)[::-1])

        def test_dtype(conformance):
            conformance.check(ignores, "he_normal", shape=(64, 32), dtype="float16")

        def test_shape(conformance):
            conformance.check(transposed, "he_normal", shape=(64, 32))
    """)
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*dtype rejected against he_normal: returned float64 values where float16 was asked*"])
    result.stdout.fnmatch_lines(["*returned shape (32, 64) where (64, 32) was asked: transposed*"])
    assert "SourceError" not in result.stdout.str()
