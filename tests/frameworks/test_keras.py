"""Keras 3 initializers (KERAS_BACKEND=torch): detected by verifier.check, and `verifier suite keras`."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import verifier  # noqa: E402


def test_keras_initializer_is_detected_and_conforms() -> None:
    v = verifier.check(keras.initializers.HeNormal(), "he_normal(truncated=True)", shape=(256, 512), layout="keras")
    assert v.passed, str(v)
    assert v.sample.convention == "keras"
    # same draw is NOT torch's untruncated he_normal: same variance, shape differs
    u = verifier.check(keras.initializers.HeNormal(), "he_normal", shape=(256, 512), layout="keras")
    assert not u.passed and u.check("variance").passed
    assert "looks truncated normal" in u.diagnosis.shape


def test_keras_import_string_and_class() -> None:
    v = verifier.check("keras.initializers.GlorotUniform", "xavier_uniform", shape=(3, 3, 64, 128), layout="keras")
    assert v.passed, str(v)


def test_keras_seeded_draws_repeat() -> None:
    a = verifier.check(keras.initializers.LecunUniform(), "lecun_uniform", shape=(64, 32), layout="keras", seed=3)
    b = verifier.check(keras.initializers.LecunUniform(), "lecun_uniform", shape=(64, 32), layout="keras", seed=3)
    assert a.checks == b.checks


def test_keras_wrong_layout_is_diagnosed() -> None:
    v = verifier.check(keras.initializers.HeUniform(), "he_uniform", shape=(3, 3, 64, 128), layout="torch")
    assert not v.passed and v.diagnosis.names == ("wrong layout",)


def test_identify_keras_initializer() -> None:
    r = verifier.identify(keras.initializers.LecunNormal(), shape=(256, 512))
    assert r.layout == "keras" and r.best.spec == "lecun_normal(truncated=True)"


def test_suite_keras() -> None:
    from verifier.suites import keras as suite

    results = suite.run(seed=0)
    assert len(results) == len(suite.cases())
    for r, case in zip(results, suite.cases()):
        if case.dtype == "float32":
            assert r.passed, str(r)
        assert r.passed or r.known_deviation, str(r)
