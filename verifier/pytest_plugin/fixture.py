"""The ``conformance`` fixture: ``conformance.check(source, expect, **kwargs)`` in any test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .records import derive_seed, state

if TYPE_CHECKING:  # pragma: no cover
    from ..verdict import Verdict

__all__ = ["Conformance", "ConformanceFailed", "conformance"]


class ConformanceFailed(AssertionError):
    """A conformance check was rejected; ``str()`` is the headline (what failed and the likely bug)
    followed by the verdict's readable text; ``.verdict`` is the :class:`~verifier.Verdict`."""

    def __init__(self, verdict: Verdict) -> None:
        from ..report.format import headline

        super().__init__(f"{headline(verdict)}\n{verdict}")
        self.verdict = verdict


class Conformance:
    """The ``conformance`` fixture: check initializers and record the verdicts.

    Examples
    --------
    >>> def test_my_init(conformance):                                   # doctest: +SKIP
    ...     conformance.check("mypkg.init:my_init", "he_normal", shape=(256, 512))
    """

    def __init__(self, config: pytest.Config, nodeid: str) -> None:
        self._config = config
        self._state = state(config)
        self.nodeid = nodeid
        self.verdicts: list[Verdict] = []
        self._calls = 0

    def __repr__(self) -> str:
        return f"<conformance {self.nodeid} ({len(self.verdicts)} verdicts)>"

    def next_seed(self) -> int:
        """The seed the next :meth:`check` without ``seed=`` uses."""
        key = self.nodeid if self._calls == 0 else f"{self.nodeid}#{self._calls}"
        return derive_seed(key, self._state.settings.seed)

    def check(self, source: Any, expect: Any, **kwargs: Any) -> Verdict:
        """:func:`verifier.check` with the session's defaults; fail the test if rejected.

        A rejected verdict raises ``AssertionError`` whose text is the verdict (and whose
        ``.verdict`` attribute is the :class:`~verifier.verdict.Verdict`), like
        :func:`verifier.assert_conforms`.

        Takes the same keywords as :func:`verifier.check`. Without ``seed=`` the seed is
        derived from the test's node id and ``--verifier-seed``; without ``alpha=`` /
        ``draws=`` the session's ``--verifier-alpha`` / ``--verifier-draws`` apply (draws
        only to initializers, i.e. checks given a ``shape``). An initializer's own contracts
        (:mod:`verifier.contracts`: the requested dtype and shape, same seed → same values, different
        seeds → different values) are checked too unless ``contracts=False`` or
        ``--verifier-no-contracts``. The verdict is recorded for the terminal summary and
        ``--verifier-report`` either way.
        """
        __tracebackhide__ = True
        verdict = self.run(source, expect, **kwargs)
        if not verdict.passed:  # a plain AssertionError: pytest's summary line then leads with the headline
            from ..report.format import headline

            error = AssertionError(f"{headline(verdict)}\n{verdict}")
            error.verdict = verdict  # type: ignore[attr-defined]
            raise error
        return verdict

    def run(self, source: Any, expect: Any, **kwargs: Any) -> Verdict:
        """Like :meth:`check`, but return the verdict without failing the test."""
        from ..api import check
        from ..sources import is_values

        settings = self._state.settings
        if kwargs.get("seed") is None:
            kwargs["seed"] = self.next_seed()
        self._calls += 1
        if kwargs.get("alpha") is None and settings.alpha is not None:
            kwargs["alpha"] = settings.alpha
        if (
            "draws" not in kwargs
            and settings.draws is not None
            and kwargs.get("shape") is not None
            and not is_values(source)
        ):
            kwargs["draws"] = settings.draws
        if "contracts" not in kwargs and not is_values(source):
            kwargs["contracts"] = settings.contracts  # the initializer's own contracts: on unless turned off
        verdict = check(source, expect, **kwargs)
        self.record(verdict)
        return verdict

    def propagate(self, model: Any, inputs: Any = None, **kwargs: Any) -> Any:
        """:func:`verifier.propagate` with seeds derived from the test's node id (``seeds=k`` derives
        ``k`` of them, 5 by default; a list of seeds is used as given); fail the test with the report's text when the variance is not kept through depth.

        Returns the :class:`~verifier.propagation.PropagationReport` (``.passed``, per-layer ratios
        with intervals, the diagnosis).
        """
        __tracebackhide__ = True
        from ..propagation import assert_propagates

        seeds = kwargs.get("seeds")
        if seeds is None or (isinstance(seeds, int) and not isinstance(seeds, bool)):  # derive them from the node id
            base = self.next_seed()
            self._calls += 1
            kwargs["seeds"] = [(base + i) % 2**32 for i in range(5 if seeds is None else seeds)]
        return assert_propagates(model, inputs, **kwargs)

    def record(self, verdict: Verdict) -> Verdict:
        """Record a verdict computed elsewhere (e.g. by :func:`verifier.check`) for the session."""
        self._state.add(self.nodeid, verdict)
        self.verdicts.append(verdict)
        return verdict


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> Conformance:
    """Check weight initializers; ``conformance.check(source, expect, shape=...)`` fails the
    test with the readable verdict when rejected and records it for the session report."""
    return Conformance(request.config, request.node.nodeid)
