"""The pytest plugin: conformance checks of weight initializers in any project's CI.

Registered through the ``pytest11`` entry point, so it is active as soon as ``verifier`` is
installed; ``pytest -p no:verifier`` turns it off. It offers

- the ``conformance`` fixture: ``conformance.check(source, expect, **kwargs)`` takes the same
  keywords as :func:`verifier.check`, fails the test with the verdict's text when the check is
  rejected, and records the verdict for the session's summary and reports;
- checks declared in ``pyproject.toml``, no test code at all::

      [[tool.verifier.check]]
      target = "mypkg/init.py:my_init"        # an import string, call syntax allowed
      expect = "he_normal(mode='fan_in')"
      shapes = [[256, 512], [64, 3, 3, 3]]
      dtype = ["float32", "bfloat16"]         # optional: a string or a list (default float32)
      # optional: layout, draws, seed, alpha, convention, fan_in, fan_out, name

  Each (target x shape x dtype) becomes one test item, e.g.
  ``pyproject.toml::my_init[256x512-float32]``. The rootdir's ``pyproject.toml`` is collected
  whenever pytest walks the rootdir (or is given the file); with ``testpaths`` set, add
  ``"pyproject.toml"`` to it. Relative file paths in ``target`` are relative to the
  ``pyproject.toml``;
- the options ``--verifier-alpha``, ``--verifier-seed``, ``--verifier-draws`` and
  ``--verifier-report DIR`` (ini: ``verifier_alpha``, ``verifier_seed``, ``verifier_draws``,
  ``verifier_report``). They are session defaults: an explicit keyword or table key wins;
- a terminal summary of every conformance verdict of the session, failures first.

Determinism
-----------
Unless a check gives ``seed`` explicitly, its seed is :func:`derive_seed` ``(nodeid, base)``
(``base`` is ``--verifier-seed``, default 0): a hash of the test's node id, never Python's
randomised ``hash()``, so a check draws the same values, and reaches the same verdict, in
every run and on every xdist worker. The seed is printed in the verdict ("seed N"), so
``verifier.check(..., seed=N)`` reproduces it outside pytest.

Verdict records and pytest-xdist
--------------------------------
The session keeps each :class:`~verifier.verdict.Verdict`, tagged with the node id and its
index within the test. The verdict's ``summary`` (which can hold every sorted value, megabytes
for a big tensor) is kept only when ``--verifier-report`` asks for reports, whose plots are
drawn from it; otherwise it is dropped, so a long session does not hoard memory. Workers
pickle their records (zlib-compressed, base64; about 1 kB each without summaries) into
``config.workeroutput`` in ``pytest_sessionfinish``; the controller unpickles them in
``pytest_testnodedown``. Controller and workers run the same installed code, so the controller
holds the same ``Verdict`` objects a run without xdist would (a JSON record would lose the
distribution object the report writers render); records are sorted by (node id, index), so
the terminal summary and the reports are the same with and without ``-n``.

Layout (one job per module): :mod:`.options` (command-line options and ini keys),
:mod:`.records` (seeds, verdict records, session state), :mod:`.fixture` (the ``conformance``
fixture), :mod:`.pyproject` (``[[tool.verifier.check]]`` collection), :mod:`.session` (xdist
hand-off, reports, terminal summary). This package imports only the standard library and pytest
at import time; numpy, scipy and the checks are imported when a check runs.
"""

from __future__ import annotations

from .fixture import Conformance, ConformanceFailed, conformance
from .options import pytest_addoption, pytest_configure
from .pyproject import pytest_collect_file
from .records import VerdictRecord, derive_seed
from .session import pytest_sessionfinish, pytest_terminal_summary, pytest_testnodedown

__all__ = ["Conformance", "ConformanceFailed", "VerdictRecord", "derive_seed"]

# the hooks and the fixture pytest finds on this module (the pytest11 entry point)
_HOOKS = (conformance, pytest_addoption, pytest_configure, pytest_collect_file, pytest_sessionfinish,
          pytest_terminal_summary, pytest_testnodedown)
