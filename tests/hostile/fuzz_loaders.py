"""An atheris fuzz target for the tensor-file loaders (coverage-guided, libFuzzer).

Run it (atheris is not needed by the test suite)::

    pip install atheris && python tests/hostile/fuzz_loaders.py -atheris_runs=100000

Each input is written as a ``.npy``, ``.npz``, ``.safetensors`` or ``.pt`` file (the first byte picks
the kind) and given to :func:`verifier.loaders.load_tensor` with a 16 MiB budget, then, when it
loads, to :func:`verifier.check`. Anything but a :class:`~verifier.errors.VerifierError` is a
finding; libFuzzer stores the input as ``crash-*`` to reproduce with
``python tests/hostile/fuzz_loaders.py crash-...``. ``run_one`` is also called by the test suite on
a few seeds, so the target itself cannot rot.
"""

from __future__ import annotations

import os
import sys
import tempfile

SUFFIXES = (".npy", ".npz", ".safetensors", ".pt")
_DIR = tempfile.mkdtemp(prefix="verifier-fuzz-")


def run_one(data: bytes) -> None:
    """Load ``data`` as a tensor file; raise only if the contract is broken."""
    import verifier
    from verifier.errors import VerifierError
    from verifier.loaders import load_tensor

    if not data:
        return
    suffix = SUFFIXES[data[0] % len(SUFFIXES)]
    path = os.path.join(_DIR, "input" + suffix)
    with open(path, "wb") as f:
        f.write(data[1:])
    target = path if suffix == ".npy" else path + ":w"
    try:
        values, _ = load_tensor(target, max_bytes=16 * 2**20)
        verifier.check(values, "normal(0, 0.1)")
    except VerifierError:
        pass


def main() -> None:  # pragma: no cover  (needs atheris)
    import atheris

    with atheris.instrument_imports():
        import verifier  # noqa: F401
        import verifier.loaders  # noqa: F401
    atheris.Setup(sys.argv, run_one)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    main()
