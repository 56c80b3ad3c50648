"""Calibration: correct draws give uniform p-values and the stated false-alarm rate.

For each family (normal, uniform, Keras-truncated normal) in float32, bfloat16, float16 and the
streamed float32 path, 600 independent correct samples of 1024 values are verified at
α = 0.05. Null of each check: the values are iid from the expected distribution.
Assertions, all deterministic (fixed seeds):

* each statistical check's p-values (mean, variance, KS, AD, CvM) are uniform: KS test of the 600 p-values against
  U(0, 1) at level 1e-3 (conservative, i.e. p-values stochastically larger, is allowed
  for the discrete grid nulls, see ``verifier.stats.gof``);
* each check's rejection rate at 0.05 lies inside the two-sided 99.9 % binomial limits
  (or below the upper limit, for grid nulls);
* the verdict's false-alarm rate (Holm over all checks) is at most the upper limit.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from scipy import stats as sst

import verifier
from verifier.sources.sample import Sample
from verifier.stats.summary import EXACT_MAX, summarize
from verifier.theory.distributions import Distribution
from verifier.verdict import SampleInfo, decide, verify

pytestmark = pytest.mark.slow

N_VERDICTS = 600
SHAPE = (32, 32)
ALPHA = 0.05
SPECS = {
    "normal": "he_normal",
    "uniform": "he_uniform",
    "truncated": "he_normal(truncated=True)",
}


def _draw(dist: Distribution, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u = rng.uniform(size=(N_VERDICTS, *SHAPE))
    return dist.ppf(u)


def _cast(x: np.ndarray, dtype: str) -> object:
    if dtype == "bfloat16":
        torch = pytest.importorskip("torch")
        return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    if dtype == "float16":
        return x.astype(np.float16)
    return x.astype(np.float32)


def _verdicts(family: str, dtype: str) -> list[verifier.Verdict]:
    spec = verifier.as_spec(SPECS[family])
    dist = spec.distribution(SHAPE)
    data = _cast(_draw(dist, seed=zlib.crc32(f'{family}/{dtype}'.encode())), dtype.replace("-streamed", ""))
    if dtype.endswith("streamed"):
        out = []
        for i in range(N_VERDICTS):
            sample = Sample((data[i],), SHAPE, "float32", 1, "calibration", "values", None, "cpu")
            info = SampleInfo("calibration", SHAPE, "float32", sample.n)
            out.append(verify(summarize(sample, dist, exact_max=0), dist, expected=str(spec), sample=info, alpha=ALPHA))
        return out
    return [verifier.check(data[i], spec, alpha=ALPHA) for i in range(N_VERDICTS)]


def _limits(p: float) -> tuple[float, float]:
    lo = sst.binom.ppf(0.0005, N_VERDICTS, p) / N_VERDICTS
    hi = sst.binom.isf(0.0005, N_VERDICTS, p) / N_VERDICTS
    return lo, hi


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16", "float32-streamed"])
@pytest.mark.parametrize("family", list(SPECS))
def test_pvalues_are_calibrated(family: str, dtype: str) -> None:
    verdicts = _verdicts(family, dtype)
    discrete = dtype != "float32"  # grid null (bf16) or grouped PIT bins: conservative
    lo, hi = _limits(ALPHA)
    for name in ("mean", "variance", "ks", "ad", "cvm"):
        p = np.array([v.check(name).pvalue for v in verdicts])
        rate = float(np.mean(p <= ALPHA))
        assert rate <= hi, f"{name}: false-alarm rate {rate:.3f} above {hi:.3f}"
        if name in ("mean", "variance") or not discrete:
            assert rate >= lo, f"{name}: rejection rate {rate:.3f} below {lo:.3f}"
            assert sst.kstest(p, "uniform").pvalue > 1e-3, f"{name}: p-values not uniform"
        else:
            # Conservative is allowed: p-values may only be stochastically larger.
            assert sst.kstest(p, "uniform", alternative="greater").pvalue > 1e-3, f"{name}: p-values too small"
    fails = float(np.mean([not v.passed for v in verdicts]))
    assert fails <= hi, f"verdict false-alarm rate {fails:.3f} above {hi:.3f}"
    for v in verdicts:
        assert v.check("finite").passed and v.check("degenerate").passed
        if v.check("support") is not None:
            assert v.check("support").pvalue == 1.0


# ---- small n, discrete grids and detected grids (issue 15) ---------------------------------

SMALL_N = (1, 2, 5, 10, 30, 100)
N_SMALL_VERDICTS = 500


def _small_limits(p: float) -> float:
    return sst.binom.isf(0.0005, N_SMALL_VERDICTS, p) / N_SMALL_VERDICTS


SMALL_CASES = [(n, f, "float32") for n in SMALL_N for f in SPECS] + [
    (n, f, d) for n in (1, 2, 10, 100) for f in SPECS for d in ("bfloat16", "float32-on-bf16-grid", "float16")]


@pytest.mark.parametrize("n, family, dtype", SMALL_CASES)
def test_small_n_false_alarm_rate(family: str, dtype: str, n: int) -> None:
    """Verdict and per-check false-alarm rates at α = 0.05 and 0.01 never above the binomial
    limit, at every n from 1 (small-n laws: AD/CvM tables, exact lattice laws, degenerate
    p-value on grids, float32 values on the bf16 grid detected)."""
    torch = pytest.importorskip("torch") if "bf16" in dtype or dtype == "bfloat16" else None
    spec = verifier.as_spec(SPECS[family])
    dist = spec.distribution(SHAPE)
    rng = np.random.default_rng(zlib.crc32(f"{family}/{dtype}/{n}".encode()))
    x = dist.ppf(rng.uniform(size=(N_SMALL_VERDICTS, n)))
    if dtype == "float32":
        data, sdtype = x.astype(np.float32), "float32"
    elif dtype == "float16":
        data, sdtype = x.astype(np.float16), "float16"
    else:
        b = torch.from_numpy(x.astype(np.float32)).bfloat16()
        data, sdtype = ((b, "bfloat16") if dtype == "bfloat16" else (b.float().numpy(), "float32"))
    fails = {0.05: 0, 0.01: 0}
    per_check = {a: {} for a in fails}
    for i in range(N_SMALL_VERDICTS):
        sample = Sample((data[i],), (n,), sdtype, 1, "calibration", "values", None, "cpu")
        info = SampleInfo("calibration", (n,), sdtype, n)
        v = verify(summarize(sample, dist), dist, expected=str(spec), sample=info, alpha=0.05)
        for a in fails:
            checks = v.checks if a == 0.05 else decide(v.checks, a, n)
            fails[a] += not all(c.passed for c in checks)
            for c in checks:
                per_check[a][c.name] = per_check[a].get(c.name, 0) + (c.pvalue <= a)
    for a, f in fails.items():
        hi = _small_limits(a)
        assert f / N_SMALL_VERDICTS <= hi, f"n={n} α={a}: verdict false-alarm rate {f / N_SMALL_VERDICTS:.3f} > {hi:.3f}"
        for name, k in per_check[a].items():
            assert k / N_SMALL_VERDICTS <= hi, f"n={n} α={a}: {name} rejects {k / N_SMALL_VERDICTS:.3f} > {hi:.3f}"


@pytest.mark.parametrize("std", [1e-6, 3e-5, 1000.0, 5000.0])
def test_float16_subnormal_scale_and_large_std(std: float) -> None:
    """fp16 draws whose std lies in the subnormal range (min normal 6.1e-5) or near the top
    of the range (max 65504): the rounded law keeps the false-alarm rate at α."""
    reps, alpha = 400, 0.05
    rng = np.random.default_rng(int(std * 1e6) % 2**32)
    fails = sum(not verifier.check(rng.normal(0, std, 1024).astype(np.float16), f"normal(0, {std})",
                                   alpha=alpha).passed for _ in range(reps))
    assert fails / reps <= sst.binom.isf(0.0005, reps, alpha) / reps


@pytest.mark.parametrize("n", [1_000, EXACT_MAX, EXACT_MAX + 1, 2**20 + 1, 3_000_000])
def test_large_n_false_alarm_rate(n: int) -> None:
    """A few verdicts at the exact/streamed boundary (EXACT_MAX exact, EXACT_MAX + 1 streamed) and beyond:
    the false-alarm count stays within the binomial limit (few reps: a coarse check)."""
    reps = 200 if n <= 1_000 else 16
    alpha = 0.05
    rng = np.random.default_rng(n)
    fails = 0
    for _ in range(reps):
        fails += not verifier.check(rng.standard_normal(n).astype(np.float32), "normal(0, 1)", alpha=alpha).passed
    assert fails <= sst.binom.isf(0.0005, reps, alpha), (fails, reps)
