"""The CPU workers of the summary passes: every chunk fed once, errors re-raised, torch restored."""

from __future__ import annotations

import threading

import pytest

from verifier.stats.kernels import _feed_parallel


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[int] = []
        self.threads: set[int] = set()

    def feed(self, item: int) -> None:
        self.seen.append(item)
        self.threads.add(threading.get_ident())


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_chunk_is_fed_exactly_once(workers: int) -> None:
    accs = [_Recorder() for _ in range(workers)]
    _feed_parallel(iter(range(1000)), accs)
    assert sorted(i for a in accs for i in a.seen) == list(range(1000))


def test_a_worker_error_is_raised_and_torch_threads_restored() -> None:
    class Failing(_Recorder):
        def feed(self, item: int) -> None:
            if item == 7:
                raise ArithmeticError("chunk 7")
            super().feed(item)

    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    accs = [Failing(), Failing()]
    with pytest.raises(ArithmeticError, match="chunk 7"):
        _feed_parallel(iter(range(100)), accs)
    assert torch.get_num_threads() == before


def test_a_generator_is_never_advanced_by_two_threads() -> None:
    """Generators raise 'already executing' when two threads advance them at once."""
    def items():
        for i in range(2000):
            yield i

    accs = [_Recorder() for _ in range(3)]
    _feed_parallel(items(), accs)
    assert sum(len(a.seen) for a in accs) == 2000
