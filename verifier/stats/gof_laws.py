"""The null laws of the KS, Anderson–Darling and Cramér–von Mises statistics (p-values).

For a continuous null the laws depend only on ``n``: ``n ≤ 30`` reads the simulated finite-n
tables of :mod:`verifier.stats.smalln` (AD, CvM), larger ``n`` the asymptotic laws with their
finite-n corrections (Marsaglia & Marsaglia 2004 for AD, Csörgő & Faraway 1996 for CvM), KS
scipy's ``kstwo`` (exact for small ``n``). Each function's docstring states its law and error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special as _special
from scipy.special import cython_special as _scalar  # the ufuncs' functions for Python floats
from scipy import stats as _st

from . import fused
from . import smalln

__all__ = ["ad_pvalue", "cvm_pvalue", "ks_pvalue"]


_CVM_TERMS = 160
"""Terms at most of the CvM series: they are summed until one is below 1e-10, after 2–7 terms for
``W² < 2`` (and ``Γ(k + 3/2)`` overflows a float from k = 170 on)."""

_CVM_INF_COEF = tuple(math.exp(math.lgamma(k + 0.5) - math.lgamma(k + 1)) / math.pi**1.5 for k in range(50))
"""``Γ(k + 1/2)/(k!·π^{3/2})``, the weights of :func:`_cvm_inf_cdf`'s series."""

_GAMMA_HALF = tuple(math.gamma(k + 0.5) for k in range(_CVM_TERMS + 1))
"""``Γ(k + 1/2)`` for the terms of :func:`_cvm_psi1_mod` (``Γ(k + 3/2)`` is the next entry)."""

_PI_FACTORIAL = tuple(math.pi * math.gamma(k + 1) for k in range(_CVM_TERMS))
"""``π·k!`` for the terms of :func:`_cvm_psi1_mod`."""

_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _cvm_inf_cdf(x: float) -> float:
    """Asymptotic CDF of W² (Anderson & Darling 1952, the series scipy uses)."""
    if x <= 0:
        return 0.0
    total = 0.0
    inv_sqrt_x = 1.0 / math.sqrt(x)
    for k in range(0, 50):
        y = 4 * k + 1
        q = y * y / (16 * x)
        if q > 700:
            break
        term = _CVM_INF_COEF[k] * inv_sqrt_x * math.sqrt(y) * math.exp(-q) * _scalar.kv(0.25, q)
        total += term
        if abs(term) < 1e-16:
            break
    return float(min(1.0, max(0.0, total)))


def _cvm_inf_sf_tail(x: float) -> float:
    r"""Upper tail of the asymptotic W² law for large x.

    :math:`W^2 = \sum_j Z_j^2/(j\pi)^2`; the largest weight dominates:
    :math:`P(W^2 > x) \approx c\,P(\chi^2_1 > \pi^2 x)` with
    :math:`c = \prod_{j\ge2}(1 - 1/j^2)^{-1/2} = \sqrt 2`, times ``1 + 0.037/x`` fitted to
    the series for 1 <= x <= 3.5 (agreement within 0.05 %, tested).
    """
    return float(math.sqrt(2.0) * _special.erfc(math.sqrt(math.pi**2 * x / 2)) * (1.0 + 0.037 / x))


_CVM_TAIL_AT_2 = _cvm_inf_sf_tail(2.0)
"""The smallest p-value :func:`cvm_pvalue` gives below ``W² = 2`` (where the tail takes over)."""


def _cvm_psi1_mod(x: float) -> float:
    r"""Csörgő & Faraway's (1996, eq. 1.10) first-order term :math:`\psi_1(x)` without its
    :math:`V(x)/12` part (added by :func:`_cvm_finite_cdf`); series summed until the terms
    are below 1e-10 (after the R package goftest's ``pCvM``).

    With :math:`z = y^2/4`, :math:`E_2(y) = e^{-z}(y/2)^{3/2}(K_{1/4}(z) + K_{3/4}(z))/\sqrt\pi` and
    :math:`E_3(y) = e^{-z}(y/2)^{5/2}(2K_{1/4}(z) + 3K_{3/4}(z) - K_{5/4}(z))/\sqrt\pi`, where
    :math:`K_{5/4}(z) = K_{3/4}(z) + K_{1/4}(z)/(2z)` (the recurrence
    :math:`K_{\nu+1} = K_{\nu-1} + (2\nu/z)K_\nu`, :math:`K_{-\nu} = K_\nu`): two Bessel calls per
    point ``y = (4k + j)/(2√x)``, ``j = 1, 3, 5``, and the point ``j = 5`` of term ``k`` is ``j = 1``
    of term ``k + 1`` (12 calls a term before, 4 now)."""
    sx = 2 * math.sqrt(x)
    y1, y2 = x**0.75, x**1.25

    def bessel(j: int) -> tuple[float, float]:
        """``(E_2(y), E_3(y))`` at ``y = j/(2√x)``."""
        y = j / sx
        z = y * y / 4
        k14, k34 = _scalar.kv(0.25, z), _scalar.kv(0.75, z)
        k54 = k34 + k14 / (2 * z)
        h = y / 2
        e15 = math.exp(-z) * _INV_SQRT_PI * h * math.sqrt(h)  # e^{-z} (y/2)^{3/2} / √π
        return e15 * (k14 + k34), e15 * h * (2 * k14 + 3 * k34 - k54)

    total = 0.0
    at1 = bessel(1)
    for k in range(0, _CVM_TERMS):
        m = 2 * k + 1
        at3, at5 = bessel(4 * k + 3), bessel(4 * k + 5)
        g1, g3 = _GAMMA_HALF[k], _GAMMA_HALF[k + 1]
        a = (m * g1 * at3[0] / (9 * y1) + g1 * at1[1] / (72 * y2)
             + 2 * (m + 2) * g3 * at5[1] / (12 * y2)
             + 7 * m * g1 * at1[0] / (144 * y1) + 7 * m * g1 * at5[0] / (144 * y1))
        z = -a / _PI_FACTORIAL[k]
        total += z
        if abs(z) < 1e-10:
            break
        at1 = at5
    return total


def _cvm_finite_cdf(x: float, n: int) -> float:
    r"""Csörgő & Faraway's (1996, eq. 1.8) finite-n CDF of W²:
    :math:`V(x)(1 + 1/(12n)) + \psi_1(x)/n` on the support :math:`(1/(12n), n/3)`."""
    if x <= 1.0 / (12 * n):
        return 0.0
    if x >= n / 3.0:
        return 1.0
    return _cvm_inf_cdf(x) * (1 + 1.0 / (12 * n)) + _cvm_psi1_mod(x) / n


def cvm_pvalue(w2: float, n: int) -> float:
    """P(W² >= w2) for a fully specified continuous null and ``n`` observations.

    ``n <= 30``: the simulated finite-n law of :mod:`verifier.stats.smalln` (conservative,
    never 0, monotone). Larger n: Csörgő & Faraway's (1996) finite-n expansion for
    ``w2 < 2``, and beyond (p < 1.3e-5) the analytic tail :func:`_cvm_inf_sf_tail`, which
    keeps relative precision where ``1 - cdf`` would cancel. Checked against simulation at
    n = 31, 60, 100 (within Monte Carlo error down to p = 3e-5, tests/stats/test_smalln.py).
    """
    if math.isnan(w2):
        return 0.0
    if n <= smalln.N_MAX:
        return smalln.pvalue("cvm", w2, n)
    if not math.isfinite(w2):
        return 0.0
    if w2 >= 2.0:
        return _cvm_inf_sf_tail(w2)
    cdf = _cvm_finite_cdf(w2, n)
    if not math.isfinite(cdf):
        cdf = _cvm_inf_cdf(w2)
    return float(min(1.0, max(_CVM_TAIL_AT_2, 1.0 - cdf)))


def _kstwo_sf() -> Any:
    """scipy's ``kstwo`` survival function without the ``rv_continuous`` argument machinery
    (``kolmogn``, which ``kstwo.sf`` calls: 42 µs against 84 µs a call at n = 1000); the public
    ``kstwo.sf`` where a scipy release moved it."""
    try:
        from scipy.stats._ksstats import kolmogn

        if abs(kolmogn(1000, 0.03, cdf=False) - _st.kstwo.sf(0.03, 1000)) < 1e-15:
            return lambda d, n: kolmogn(n, d, cdf=False)
    except (ImportError, TypeError, AttributeError):  # pragma: no cover - a scipy without it
        pass
    return lambda d, n: _st.kstwo.sf(d, n)  # pragma: no cover


_KS_SF = _kstwo_sf()


KS_TAIL_N = 5000
"""From this ``n`` on, the KS tail ``n·d² ≥ 2.2`` uses the Smirnov approximation directly."""


def ks_pvalue(d: float, n: int) -> float:
    r"""Two-sided KS p-value ``P(D_n >= d)`` under a continuous null (scipy's ``kstwo``:
    exact for small ``n``, accurate asymptotics for large ``n``).

    In the tail ``n·d² ≥ 2.2`` scipy's ``kstwo`` takes ``2·P(D⁺_n ≥ d)`` (an upper bound:
    Bonferroni over the two one-sided statistics) and computes ``P(D⁺_n ≥ d)`` by the
    Birnbaum–Tingey sum, O(n) terms of ~0.75 µs: 6 ms at n = 10⁴, 0.75 s at n = 10⁶, paid by
    every rejected tensor and by one correct tensor in 40. Above 10⁶ it switches to
    :math:`P(D^+_n \ge d) \approx e^{-(6nd+1)^2/(18n)}`. This function uses that
    approximation from ``n > KS_TAIL_N`` on. Compared with the exact sum over ``n`` from 2,000 to
    2·10⁵ and ``n·d²`` from 2.2 to 120 (``tests/stats/test_gof.py``), it is never smaller (the
    p-value stays conservative) and at most 2.5 % larger wherever ``p ≥ 10⁻¹⁵`` and ``n > 5000``.
    Below, ``kstwo``'s own algorithms, faster (:func:`_ks_sf`). A NaN statistic gets 0, as in
    :func:`ad_pvalue` and :func:`cvm_pvalue`.
    """
    if math.isnan(d):
        return 0.0
    if d <= 0:
        return 1.0
    if n > KS_TAIL_N and n * d * d >= 2.2:
        if n * d * d >= 370.0:  # as kstwo: the tail underflows
            return 0.0
        return float(min(1.0, 2.0 * math.exp(-((6.0 * n * d + 1.0) ** 2) / (18.0 * n))))
    sf = _ks_sf(d, n)
    return float(min(1.0, max(0.0, _KS_SF(d, n) if sf is None else sf)))


def _ks_sf(d: float, n: int) -> float | None:
    """``P(D_n ≥ d)`` by the algorithm scipy's ``kstwo.sf`` picks (scipy ≥ 1.4's ``_kolmogn``), where
    scipy runs it as a Python loop over numpy scalars (0.05–2 ms a call): Durbin's matrix and
    Pomeranz's recursion compiled (:mod:`verifier.stats.fused_kernels`), the Birnbaum–Tingey sum
    vectorised (:func:`_smirnov_sf`), Pelz–Good in Python floats (:func:`_pelz_good_cdf`). ``None``
    where scipy's closed forms are cheap (``n·d ≤ 1``, ``n·d ≥ n − 1``, ``d ≥ 1/2``), or the
    compiled kernels are not installed or cannot be written: scipy then computes it. Equal to ``kstwo.sf`` to 1e-10
    relative over the whole (n, d) plane (tested)."""
    t = n * d
    if d >= 0.5 or t <= 1.0 or t >= n - 1:
        return None
    nd2 = t * d
    if n > 140:
        if nd2 >= 370.0:
            return 0.0
        if nd2 >= 2.2:
            return 2.0 * _smirnov_sf(d, n)
        if not (n <= 100000 and n * d**1.5 <= 1.4):
            return 1.0 - _pelz_good_cdf(d, n)
    elif nd2 > 4.0:
        return 2.0 * _smirnov_sf(d, n)
    kernels = fused._kernels() if fused.available() else None
    cdf = fused.call_compiled(kernels, "ks_durbin_cdf" if n > 140 or nd2 <= 0.754693 else "ks_pomeranz_cdf", n, d)
    return None if cdf is None else 1.0 - cdf


def _smirnov_sf(d: float, n: int) -> float:
    r"""``P(D⁺_n ≥ d)`` by the Birnbaum–Tingey sum (scipy's ``smirnov``, which spends ~0.4 µs a term
    in double-double arithmetic: 0.4 ms at n = 1024, 3 ms at 5000):
    :math:`d\sum_{j=0}^{\lfloor n(1-d)\rfloor} \binom{n}{j}(d + j/n)^{j-1}(1 - d - j/n)^{n-j}`,
    each term through its logarithm (``gammaln``), in one numpy pass: equal to scipy's to 1e-11
    relative down to 1e-300 (tested)."""
    j = np.arange(int(math.floor(n * (1.0 - d))) + 1, dtype=np.float64)
    x = d + j / n
    with np.errstate(divide="ignore"):  # 1 − d − j/n = 0 at the last term: a zero term
        log_terms = (_special.gammaln(n + 1.0) - _special.gammaln(j + 1.0) - _special.gammaln(n - j + 1.0)
                     + (j - 1.0) * np.log(x) + (n - j) * np.log1p(-x))
    return d * float(np.sum(np.exp(log_terms)))


def _pelz_good_cdf(d: float, n: int) -> float:
    r"""Pelz & Good's (1976) approximation of ``P(D_n ≤ d)``, ``z = √n·d``:
    :math:`K_0(z) + K_1(z)/\sqrt n + K_2(z)/n + K_3(z)/n^{3/2}`, each :math:`K_i` written with Jacobi
    theta functions (sums over odd ``m = 2k − 1`` of :math:`c_i(m)\,q^{m^2}`, ``q = e^{−π²/(8z²)}``,
    plus for :math:`K_2, K_3` sums over all ``k`` of terms in :math:`e^{−k²π²/(2z²)}`).

    A transcription of scipy's ``_kolmogn_PelzGood`` (the branch ``kstwo.sf`` takes for most
    ``n > 140`` with ``n·d² < 2.2``) in Python floats instead of 4-element numpy arrays: the same terms in the same
    order, 4 µs a call against 35 (equal to scipy's to 1e-15, tested).
    """
    z = math.sqrt(n) * d
    z2 = z * z
    z4, z6 = z2 * z2, z2 * z2 * z2
    qlog = -_PI2 / 8 / z2
    if qlog < -708:
        return 0.0
    q = math.exp(qlog)
    k1a, k1b = -z2, _PI2 / 4
    k2a, k2b, k2c = 6 * z6 + 2 * z4, (2 * z4 - 5 * z2) * _PI2 / 4, _PI4 * (1 - 2 * z2) / 16
    k3d, k3c = _PI6 * (5 - 30 * z2) / 64, _PI4 * (-60 * z2 + 212 * z4) / 16
    k3b, k3a = _PI2 * (135 * z4 - 96 * z6) / 4, -30 * z6 - 90 * z**8
    s0 = s1 = s2 = s3 = 0.0
    maxk = int(math.ceil(16 * z / math.pi))
    for k in range(maxk, 0, -1):  # Horner in q^8k over the odd m = 2k − 1
        m2 = (2 * k - 1) ** 2
        qk = q ** (8 * k)
        s0 = s0 * qk + 1.0
        s1 = s1 * qk + (k1a + k1b * m2)
        s2 = s2 * qk + (k2a + k2b * m2 + k2c * m2 * m2)
        s3 = s3 * qk + (k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2)
    c = _SQRT2PI
    s0, s1, s2, s3 = (s0 * q * c / z, s1 * q * c / (6 * z4), s2 * q * c / (72 * z**7), s3 * q * c / (6480 * z**10))
    q = math.exp(-_PI2 / 2 / z2)
    sqrt3z = math.sqrt(3.0) * z
    e2 = e3 = 0.0
    for k in range(maxk, 0, -1):
        w = k * k * q ** (k * k)
        e2 += w
        e3 += (sqrt3z + math.pi * k) * (sqrt3z - math.pi * k) * w
    s2 += e2 * (_PI2 * _SQRT2PI / (-36 * z * z2))
    s3 += e3 * (_PI2 * _SQRT2PI / (216 * z6))
    return s0 + s1 / math.sqrt(n) + s2 / n + s3 / n**1.5


_PI2, _PI4, _PI6, _SQRT2PI = math.pi**2, math.pi**4, math.pi**6, math.sqrt(2 * math.pi)


def _horner(coefficients: tuple[float, ...], x: float) -> float:
    """``Σ c_i x^{d−i}`` (highest degree first, as ``np.polyval``) in Python floats."""
    total = 0.0
    for c in coefficients:
        total = total * x + c
    return total


def _adinf_cdf(z: float) -> float:
    """Asymptotic CDF of A² (Marsaglia & Marsaglia 2004, error < 2e-6)."""
    if z <= 0:
        return 0.0
    if z < 2:
        poly = _horner((0.00168691, -0.0116720, 0.0347962, -0.0649821, 0.247105, 2.00012), z)
        return float(math.exp(-1.2337141 / z) / math.sqrt(z) * poly)
    return float(math.exp(-math.exp(_horner((-0.0003146, 0.008056, -0.082433, 0.43424, -2.30695, 1.0776), z))))


def _adinf_sf_tail(z: float) -> float:
    r"""Upper tail of the asymptotic A² law for large z.

    :math:`A^2 \to \sum_j \chi^2_{1,j} / (j(j+1))`; the largest weight 1/2 dominates the
    tail, :math:`P(A^2>z) \sim \prod_{j\ge2}(1-\lambda_j/\lambda_1)^{-1/2}\,P(\chi^2_1>2z)
    = \sqrt3\,\mathrm{erfc}(\sqrt z)`, times ``1 + 0.3/z`` fitted to Imhof's numerical
    inversion (agreement within 0.1 % for 6 <= z <= 12). Marsaglia's ADinf is not valid
    there: it underestimates the tail by 2x at z = 10 and by 100x at z = 12.
    """
    return float(math.sqrt(3.0) * _special.erfc(math.sqrt(z)) * (1.0 + 0.3 / z))


def _ad_errfix(x: float, n: int) -> float:
    """Finite-n correction of the A² CDF (Marsaglia & Marsaglia 2004)."""
    c = 0.01265 + 0.1757 / n
    if x >= 0.8:
        return float(_horner((255.7844, -1116.360, 1950.646, -1705.091, 745.2337, -130.2137), x) / n)
    if x > c:
        g2 = _horner((1.91864, -8.259, 14.458, -14.6538, 6.54034, -0.00022633), (x - c) / (0.8 - c))
        return float((0.04213 + 0.01365 / n) / n * g2)
    t = x / c
    g1 = math.sqrt(t) * (1 - t) * (49 * t - 102)
    return float(((0.0037 / n + 0.00078) / n + 0.00006) / n * g1)


def ad_pvalue(a2: float, n: int) -> float:
    """P(A² >= a2) for a fully specified continuous null, n observations.

    ``n <= 30``: the simulated finite-n law of :mod:`verifier.stats.smalln` (conservative,
    never 0, monotone). Larger n: Marsaglia & Marsaglia's ADinf with their finite-n
    correction for ``a2 < 6`` (p > 1e-3); beyond, the analytic tail :func:`_adinf_sf_tail`,
    checked against Imhof's inversion of the characteristic function in the test suite.
    """
    if math.isnan(a2):
        return 0.0
    if n <= smalln.N_MAX:
        return smalln.pvalue("ad", a2, n)
    if not math.isfinite(a2):
        return 0.0
    if a2 >= 6.0:
        return _adinf_sf_tail(a2)
    cdf = _adinf_cdf(a2)
    p = 1.0 - (cdf + _ad_errfix(cdf, n))
    return float(min(1.0, max(_adinf_sf_tail(6.0), p)))
