"""The three walks over what is audited, each giving one row per named tensor:

* eager: a built ``nn.Module``'s parameters as they are (buffers and tied copies listed, not checked);
* lazy: a model built on the ``meta`` device, materialised, re-initialised (its own
  ``reset_parameters()`` and the preset's replay), checked and freed module by module;
* state dicts: a mapping, a ``.safetensors`` file read tensor by tensor, a ``.pt`` file
  (``torch.load(weights_only=True)``) or a sharded checkpoint, streamed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from verifier.errors import SourceError
from verifier.loaders import open_safetensors, torch_load
from verifier.sources.values import _one_line

from .report import AuditRow
from .rows import (
    BUFFER_REASON,
    Ctx,
    ancestors_of,
    named_tensors,
    not_checked,
    progress_bar,
    row_of,
    shape_of,
    tie_row,
    torch_or_error,
)

def eager_rows(model: Any, ctx: Ctx, progress: bool | None) -> list[AuditRow]:
    modules = dict(model.named_modules())
    ties = dict(ctx.preset.ties())
    params = dict(model.named_parameters(remove_duplicate=False))
    entries = list(named_tensors(model))
    owner: dict[int, str] = {}
    rows = []
    bar = progress_bar(len(entries), progress, "audit")
    try:
        for kind, name, t, mname, mod in entries:
            tname = type(mod).__name__
            if kind == "buffer":
                rows.append(not_checked(name, tname, t, BUFFER_REASON))
            elif id(t) in owner:
                rows.append(not_checked(name, tname, t, f"same tensor as {owner[id(t)]} (tied; checked there)"))
            elif name in ties and ties[name] in params:
                owner[id(t)] = name
                rows.append(tie_row(name, t, tname, ties[name], params[ties[name]], ctx.alpha))
            else:
                owner[id(t)] = name
                bar.set_postfix_str(name, refresh=False)  # the tensor being checked: big ones take a while
                rows.append(row_of(name, t, mod, ancestors_of(mname, modules), ctx))
            bar.update(1)
    finally:
        bar.close()
    return rows


def _reset_method(mod: Any) -> Callable[[], Any] | None:
    for attr in ("reset_parameters", "_reset_parameters"):
        fn = getattr(mod, attr, None)
        if callable(fn):
            return fn
    return None


def lazy_rows(model: Any, ctx: Ctx, seed: int, progress: bool | None) -> list[AuditRow]:
    """Module by module: materialise, re-initialise, check, free (see the module docstring)."""

    torch = torch_or_error()
    modules = dict(model.named_modules())
    entries = list(named_tensors(model))
    owner: dict[int, str] = {}
    tied: dict[str, str] = {}
    for kind, name, t, _, _ in entries:
        if kind == "parameter":
            if id(t) in owner:
                tied[name] = owner[id(t)]
            else:
                owner[id(t)] = name
    rows: dict[str, AuditRow] = {}
    ties = dict(ctx.preset.ties())
    bar = progress_bar(len(entries), progress, "audit (lazy)")
    for kind, name, t, _mname, mod in entries:
        if kind == "buffer":
            rows[name] = not_checked(name, type(mod).__name__, t, BUFFER_REASON)
            bar.update(1)
        elif kind == "parameter" and name in ties and name not in tied:
            rows[name] = tie_row(name, t, type(mod).__name__, ties[name], None, ctx.alpha)
            bar.update(1)
        elif name in tied:
            rows[name] = not_checked(name, type(mod).__name__, t, f"same tensor as {tied[name]} (tied; checked there)")
            bar.update(1)
    done: set[str] = set()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for mname, mod in modules.items():
                if mname in done:
                    continue
                own = [(f"{mname}.{p}" if mname else p) for p, _ in mod.named_parameters(recurse=False)]
                own = [n for n in own if n not in rows]
                if not own:
                    continue
                reset = _reset_method(mod)
                tname = type(mod).__name__
                unit = list(mod.named_modules(prefix=mname))
                # a module whose own reset_parameters() also sets its children's tensors (MultiheadAttention
                # re-sets out_proj.bias) is materialised with them; one without a reset method (a model root
                # owning a class token) alone, so a big model is never materialised whole
                grouped = reset is not None and any(True for _, m in unit[1:] for _ in m.parameters(recurse=False))
                if not grouped:
                    unit = unit[:1]
                for n, _ in unit:
                    done.add(n)
                ancestors = ancestors_of(mname, modules)
                mod.to_empty(device="cpu", recurse=grouped)
                failure = None
                step = f"{tname}.{reset.__name__}()" if reset is not None else f"the {ctx.preset.name} preset's replay"
                try:
                    with torch.no_grad():
                        for _, m in reversed(unit[1:]):  # children first, as in construction
                            r = _reset_method(m)
                            if r is not None:
                                r()
                        if reset is not None:
                            reset()
                    ctx.preset.replay(unit, ancestors)
                except Exception as exc:  # a reset that cannot run standalone
                    failure = f"lazy audit: {step} failed: {type(exc).__name__}: {_one_line(exc)}"
                for n, m in unit:
                    anc = ancestors_of(n, modules)
                    has_reset = _reset_method(m) is not None
                    for pname, p in m.named_parameters(recurse=False):
                        full = f"{n}.{pname}" if n else pname
                        if full in rows:
                            continue
                        if failure is not None:
                            row = not_checked(full, type(m).__name__, p, failure)
                        elif not has_reset and not ctx.preset.replayed(full, shape_of(p), m, anc):
                            row = not_checked(full, type(m).__name__, p,
                                               f"lazy audit: {type(m).__name__} has no reset_parameters() and the "
                                               f"{ctx.preset.name} preset does not re-initialise it (audit eagerly "
                                               "with lazy=False)")
                        else:
                            bar.set_postfix_str(full, refresh=False)
                            row = row_of(full, p, m, anc, ctx)
                            if row.verdict is not None:  # keep only the verdict, not the values it summarised
                                row = dataclasses.replace(row, verdict=dataclasses.replace(row.verdict, summary=None))
                        rows[full] = row
                        bar.update(1)
                mod.to_empty(device="meta", recurse=grouped)
    finally:
        bar.close()
    out = []
    for _kind, name, t, _mname, mod in entries:
        out.append(rows.get(name) or not_checked(name, type(mod).__name__, t, "lazy audit: not reached"))
    return out


def state_dict_items(obj: Any) -> tuple[Iterator[tuple[str, Any]], int, list[str]]:
    """``(items, count, notes)`` of a state dict mapping or file, read lazily where possible."""
    from .checkpoints import Checkpoint

    notes: list[str] = []
    if isinstance(obj, Checkpoint):
        return obj.items(), obj.total, [f"{len(obj.shards)} shard file(s), read tensor by tensor"]
    if isinstance(obj, Path):
        if obj.suffix.lower() == ".safetensors":
            keys, get = open_safetensors(obj, str(obj))
            return ((k, get(k)) for k in keys), len(keys), notes
        obj = torch_load(obj, str(obj))
    if not isinstance(obj, Mapping):
        raise SourceError(f"a state dict must be a mapping of name → tensor, got {type(obj).__name__}")
    for key in ("state_dict", "model", "model_state_dict"):
        inner = obj.get(key)
        if isinstance(inner, Mapping) and not any(_is_tensorish(v) for k, v in obj.items() if k != key):
            notes.append(f"tensors read from the {key!r} entry of the file")
            obj = inner
            break
    return iter(list(obj.items())), len(obj), notes


def _is_tensorish(v: Any) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype")


def state_dict_rows(items: Iterator[tuple[str, Any]], total: int, ctx: Ctx,
                     progress: bool | None) -> list[AuditRow]:
    rows = []
    bar = progress_bar(total, progress, "audit")
    try:
        for name, t in items:
            rows.append(row_of(str(name), t, None, [], ctx))
            del t  # streamed checkpoints: drop this tensor before the next one is read
            bar.update(1)
    finally:
        bar.close()
    return rows


def param_bytes(model: Any) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    torch = torch_or_error()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
