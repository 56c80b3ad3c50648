"""Walking a model: every named tensor gets a row, checked or listed with the reason.

Three ways in:

* a torch ``nn.Module`` instance: its parameters as they are (eager);
* a zero-argument factory (a class or function): built under ``torch.manual_seed(seed)``
  inside ``torch.random.fork_rng`` and audited eagerly, or, for models too big for memory,
  module by module (``lazy=True``; chosen automatically when the parameters would take more
  than :data:`AUTO_LAZY_BYTES`): the model is built on the ``meta`` device, then each module
  that owns parameters is materialised on the CPU (``to_empty(recurse=False)``), re-initialised
  by its own ``reset_parameters()``, checked and freed again, so at most one module's
  parameters exist at a time;
* a state dict (a mapping, a ``.safetensors`` file read tensor by tensor, or a ``.pt`` file read
  with ``torch.load(weights_only=True)``): no module types, so rules by name are required.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from verifier.errors import FanError, SourceError, SpecError, VerifierError
from verifier.loaders import open_safetensors, torch_load
from verifier.sources.imports import load_target
from verifier.sources.values import _one_line, from_values
from verifier.stats.checks import CheckResult
from verifier.stats.decision import validate_alpha
from verifier.theory.fans import compute_fans
from verifier.verdict import SampleInfo, Verdict, decide

from .defaults import Expectation, default_expectation, post_reset
from .exact import ExactSpec, exact_verdict
from .report import AuditReport, AuditRow, canonical_correction
from .rules import RuleSet, Skip, as_rules

__all__ = ["audit", "AUTO_LAZY_BYTES", "STATE_DICT_SUFFIXES"]

#: A factory whose parameters would take more than this many bytes is audited lazily.
AUTO_LAZY_BYTES = 1 << 30

#: File suffixes read as state dicts.
STATE_DICT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")

_BUFFER_REASON = "buffer, not a parameter (running statistics, masks and constants are not initialised weights)"


# ---- resolving what to audit ---------------------------------------------------------------
def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - exercised in the no-torch environment
        raise SourceError("auditing a model needs torch; pip install 'verifier[torch]'") from None
    return torch


def _is_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_state_dict_path(obj: Any) -> bool:
    if isinstance(obj, Path):
        return True
    return isinstance(obj, str) and obj.lower().endswith(STATE_DICT_SUFFIXES) and ":" not in obj.replace("\\", "/").split("/")[-1]


def _resolve(model: Any) -> tuple[str, Any, str]:
    """``(kind, obj, description)`` with kind ``'module'``, ``'factory'`` or ``'state_dict'``."""
    from .checkpoints import is_checkpoint, open_checkpoint

    if is_checkpoint(model):  # a sharded checkpoint: *.safetensors.index.json or a directory of shards
        return "state_dict", open_checkpoint(model), str(model)
    if _is_state_dict_path(model):
        path = Path(model)
        if path.suffix.lower() not in STATE_DICT_SUFFIXES:
            raise SourceError(
                f"{str(path)!r} is not a state dict file ({', '.join(STATE_DICT_SUFFIXES)}); name a model with an "
                "import string such as 'path/to/model.py:build'"
            )
        if not path.is_file():
            raise SourceError(f"state dict file {str(path)!r} not found; pass an existing .safetensors or .pt file")
        return "state_dict", path, str(path)
    if isinstance(model, str):
        target = load_target(model)
        obj, kwargs, display = target.obj, dict(target.kwargs), target.display
        if _is_module(obj):
            if kwargs:
                raise SourceError(f"{display} is a module instance; drop the keyword arguments")
            return "module", obj, display
        if isinstance(obj, Mapping):
            return "state_dict", obj, display
        if callable(obj):
            return "factory", (lambda: obj(**kwargs)), display
        raise SourceError(
            f"{display} is a {type(obj).__name__}; name a torch nn.Module instance, a zero-argument factory "
            "(a class or function) or a state dict"
        )
    if _is_module(model):
        return "module", model, type(model).__name__
    if isinstance(model, Mapping):
        return "state_dict", model, "state dict"
    if callable(model):
        return "factory", model, getattr(model, "__qualname__", None) or type(model).__name__
    raise SourceError(
        f"cannot audit a {type(model).__name__}; pass a torch nn.Module, a zero-argument factory, an import "
        "string, a state dict or a .safetensors/.pt file"
    )


def _call_factory(factory: Callable[[], Any], what: str) -> Any:
    try:
        model = factory()
    except VerifierError:
        raise
    except Exception as exc:
        raise SourceError(f"building the model{' ' + what if what else ''} failed: {type(exc).__name__}: {_one_line(exc)}") from exc
    if not _is_module(model):
        raise SourceError(f"the factory returned a {type(model).__name__}, not a torch nn.Module")
    return model


# ---- progress ------------------------------------------------------------------------------
class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, progress: bool | None, desc: str) -> Any:
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="tensor", leave=False, file=sys.stderr)


# ---- one tensor ----------------------------------------------------------------------------
def _dtype_name(t: Any) -> str:
    d = getattr(t, "dtype", None)
    return str(d).removeprefix("torch.") if d is not None else type(t).__name__


def _precheck(t: Any) -> str | None:
    """A reason not to check ``t`` at all, or ``None``."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(t, torch.Tensor):
        if isinstance(t, torch.nn.parameter.UninitializedParameter):
            return "uninitialised lazy parameter (run a forward pass first)"
        if t.dtype == torch.bool or not (t.is_floating_point() or t.is_complex()):
            return f"integer tensor ({_dtype_name(t)}): not initialised weights"
        if t.is_complex():
            return f"complex tensor ({_dtype_name(t)}): the checks need real values"
        if t.device.type == "meta":
            return "on the meta device: no values (audit the factory with lazy=True)"
        if t.numel() < 2:
            return f"fewer than 2 values (shape {tuple(t.shape)}): nothing to test"
        return None
    if isinstance(t, np.ndarray):
        if t.dtype.kind in "biu":
            return f"integer array ({t.dtype}): not initialised weights"
        if t.dtype.kind == "c":
            return f"complex array ({t.dtype}): the checks need real values"
        if t.size < 2:
            return f"fewer than 2 values (shape {t.shape}): nothing to test"
        return None
    return f"not a tensor ({type(t).__name__})"


def _shape(t: Any) -> tuple[int, ...]:
    s = getattr(t, "shape", None)
    return tuple(int(d) for d in s) if s is not None else ()


def _not_checked(name: str, module_type: str, t: Any, reason: str, **extra: Any) -> AuditRow:
    return AuditRow(name, module_type, _shape(t), _dtype_name(t), "not checked", reason=reason, **extra)


def _drop_rows(t: Any, rows: tuple[int, ...]) -> Any:
    keep = [i for i in range(t.shape[0]) if i not in set(rows)]
    if hasattr(t, "detach"):
        import torch

        return t.detach()[torch.tensor(keep, dtype=torch.long)]
    return np.asarray(t)[keep]


def _check_tensor(name: str, tensor: Any, exp: Expectation, *, module_type: str, alpha: float) -> AuditRow:
    """Check one tensor against its expectation (the only place values are read)."""
    spec = exp.spec
    shape = _shape(tensor)
    extra = dict(expected=exp.label or str(spec), rule=exp.rule, note=exp.note, true_fans=exp.true_fans)
    fans = None
    if spec.needs_fans:
        try:
            fans = compute_fans(shape, exp.layout, fan_in=exp.fan_in, fan_out=exp.fan_out)
        except FanError as exc:
            return _not_checked(name, module_type, tensor, f"{exc} (rule {exp.rule}: add fan_in/fan_out to it)", **extra)
    try:
        if isinstance(spec, ExactSpec):
            info = SampleInfo(source=f"{name} ({module_type})", shape=shape, dtype=_dtype_name(tensor),
                              n=int(np.prod(shape)), layout=exp.layout)
            verdict = exact_verdict(tensor, spec, info=info, alpha=alpha)
        else:
            values = _drop_rows(tensor, exp.zero_rows) if exp.zero_rows else tensor
            sample = from_values(values)
            dist = spec.distribution(shape, exp.layout, fan_in=exp.fan_in, fan_out=exp.fan_out)
            info = SampleInfo(source=f"{name} ({module_type})", shape=shape, dtype=sample.dtype, n=sample.n,
                              device=sample.device, layout=exp.layout, fans=fans)
            from verifier.verdict import summarize_and_verify

            verdict = summarize_and_verify(sample, dist, expected=str(spec), info=info, alpha=alpha)
            if exp.zero_rows:
                verdict = _with_zero_rows(verdict, tensor, exp.zero_rows, alpha)
    except (SpecError, FanError, SourceError) as exc:
        return _not_checked(name, module_type, tensor, f"{exc}", **extra)
    return AuditRow(name, module_type, shape, verdict.sample.dtype, "checked", verdict=verdict, fans=fans, **extra)


def _with_zero_rows(verdict: Verdict, tensor: Any, rows: tuple[int, ...], alpha: float) -> Verdict:
    """Add the exact check that ``rows`` (padding_idx) are zero and decide all checks again."""
    import dataclasses

    t = tensor.detach().float() if hasattr(tensor, "detach") else np.asarray(tensor, dtype=np.float64)
    bad = int(sum(int((t[r] != 0).sum()) for r in rows))
    detail = (f"row {', '.join(map(str, rows))} (padding_idx) " +
              ("all zero" if not bad else f"has {bad} non-zero value(s)"))
    check = CheckResult("padding_row", float(bad), 0.0 if bad else 1.0, detail)
    checks = decide(verdict.checks + (check,), alpha)
    return dataclasses.replace(verdict, checks=checks, passed=all(c.passed for c in checks))


# ---- expectations --------------------------------------------------------------------------
def _expectation(name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]],
                 ruleset: RuleSet, use_defaults: bool) -> Expectation | str:
    rule = ruleset.match(name, module)
    if rule is not None:
        if isinstance(rule.resolved, Skip):
            why = f": {rule.resolved.reason}" if rule.resolved.reason else ""
            return f"skipped by rule {rule.label}{why}"
        return Expectation(rule.resolved, rule.label, fan_in=rule.fan_in, fan_out=rule.fan_out, layout=rule.layout)
    if module is None:
        return "no rule matches this name (a state dict has no module types; add a [rules] entry)"
    if not use_defaults:
        return f"no rule for {type(module).__name__}.{name.rsplit('.', 1)[-1]} (built-in defaults are off)"
    return default_expectation(name, shape, module, ancestors)


def _row(name: str, t: Any, module: Any, ancestors: list[tuple[str, Any]], ruleset: RuleSet, use_defaults: bool,
         alpha: float) -> AuditRow:
    module_type = type(module).__name__ if module is not None else "—"
    reason = _precheck(t)
    if reason is not None:
        return _not_checked(name, module_type, t, reason)
    exp = _expectation(name, _shape(t), module, ancestors, ruleset, use_defaults)
    if isinstance(exp, str):
        return _not_checked(name, module_type, t, exp)
    return _check_tensor(name, t, exp, module_type=module_type, alpha=alpha)


def _ancestors(mname: str, modules: Mapping[str, Any]) -> list[tuple[str, Any]]:
    if not mname:
        return []
    parts = mname.split(".")
    out = [("", modules[""])] if "" in modules else []
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if prefix in modules:
            out.append((prefix, modules[prefix]))
    return out


def _entries(model: Any) -> Iterator[tuple[str, str, Any, str, Any]]:
    """``(kind, full name, tensor, module name, module)`` in ``named_modules`` order."""
    for mname, mod in model.named_modules():
        for pname, p in mod.named_parameters(recurse=False):
            yield "parameter", f"{mname}.{pname}" if mname else pname, p, mname, mod
        for bname, b in mod.named_buffers(recurse=False):
            yield "buffer", f"{mname}.{bname}" if mname else bname, b, mname, mod


# ---- the three walks -----------------------------------------------------------------------
def _eager_rows(model: Any, ruleset: RuleSet, use_defaults: bool, alpha: float, progress: bool | None) -> list[AuditRow]:
    modules = dict(model.named_modules())
    entries = list(_entries(model))
    owner: dict[int, str] = {}
    rows = []
    bar = _bar(len(entries), progress, "audit")
    try:
        for kind, name, t, mname, mod in entries:
            tname = type(mod).__name__
            if kind == "buffer":
                rows.append(_not_checked(name, tname, t, _BUFFER_REASON))
            elif id(t) in owner:
                rows.append(_not_checked(name, tname, t, f"same tensor as {owner[id(t)]} (tied; checked there)"))
            else:
                owner[id(t)] = name
                rows.append(_row(name, t, mod, _ancestors(mname, modules), ruleset, use_defaults, alpha))
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


def _lazy_rows(model: Any, ruleset: RuleSet, use_defaults: bool, alpha: float, seed: int,
               progress: bool | None) -> list[AuditRow]:
    """Module by module: materialise, re-initialise, check, free (see the module docstring)."""
    import dataclasses

    torch = _torch()
    modules = dict(model.named_modules())
    entries = list(_entries(model))
    owner: dict[int, str] = {}
    tied: dict[str, str] = {}
    for kind, name, t, _, _ in entries:
        if kind == "parameter":
            if id(t) in owner:
                tied[name] = owner[id(t)]
            else:
                owner[id(t)] = name
    rows: dict[str, AuditRow] = {}
    bar = _bar(len(entries), progress, "audit (lazy)")
    for kind, name, t, _mname, mod in entries:
        if kind == "buffer":
            rows[name] = _not_checked(name, type(mod).__name__, t, _BUFFER_REASON)
            bar.update(1)
        elif name in tied:
            rows[name] = _not_checked(name, type(mod).__name__, t, f"same tensor as {tied[name]} (tied; checked there)")
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
                if reset is None:
                    for n in own:
                        rows[n] = _not_checked(n, tname, dict(mod.named_parameters(recurse=False))[n.rsplit(".", 1)[-1]],
                                               f"lazy audit: {tname} has no reset_parameters() to re-initialise its "
                                               "parameters on their own (audit eagerly with lazy=False)")
                        bar.update(1)
                    continue
                unit = list(mod.named_modules(prefix=mname))
                grouped = any(True for _, m in unit[1:] for _ in m.parameters(recurse=False))
                if not grouped:
                    unit = unit[:1]
                for n, _ in unit:
                    done.add(n)
                ancestors = _ancestors(mname, modules)
                mod.to_empty(device="cpu", recurse=grouped)
                failure = None
                try:
                    with torch.no_grad():
                        for _, m in reversed(unit[1:]):  # children first, as in construction
                            r = _reset_method(m)
                            if r is not None:
                                r()
                        reset()
                    post_reset(mod, ancestors + [(mname, mod)])
                except Exception as exc:  # a reset that cannot run standalone
                    failure = f"lazy audit: {tname}.{reset.__name__}() failed: {type(exc).__name__}: {_one_line(exc)}"
                for n, m in unit:
                    anc = _ancestors(n, modules)
                    for pname, p in m.named_parameters(recurse=False):
                        full = f"{n}.{pname}" if n else pname
                        if full in rows:
                            continue
                        if failure is not None:
                            row = _not_checked(full, type(m).__name__, p, failure)
                        else:
                            row = _row(full, p, m, anc, ruleset, use_defaults, alpha)
                            if row.verdict is not None:  # keep only the verdict, not the values it summarised
                                row = dataclasses.replace(row, verdict=dataclasses.replace(row.verdict, summary=None))
                        rows[full] = row
                        bar.update(1)
                mod.to_empty(device="meta", recurse=grouped)
    finally:
        bar.close()
    out = []
    for _kind, name, t, _mname, mod in entries:
        out.append(rows.get(name) or _not_checked(name, type(mod).__name__, t, "lazy audit: not reached"))
    return out


def _state_dict_items(obj: Any) -> tuple[Iterator[tuple[str, Any]], int, list[str]]:
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


def _state_dict_rows(items: Iterator[tuple[str, Any]], total: int, ruleset: RuleSet, alpha: float,
                     progress: bool | None) -> list[AuditRow]:
    rows = []
    bar = _bar(total, progress, "audit")
    try:
        for name, t in items:
            rows.append(_row(str(name), t, None, [], ruleset, False, alpha))
            del t  # streamed checkpoints: drop this tensor before the next one is read
            bar.update(1)
    finally:
        bar.close()
    return rows


def _param_bytes(model: Any) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    torch = _torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# ---- the API -------------------------------------------------------------------------------
def audit(
    model: Any,
    rules: Any = None,
    *,
    alpha: float | None = None,
    correction: str | None = None,
    seed: int = 0,
    lazy: bool | None = None,
    defaults: bool = True,
    progress: bool | None = None,
    jobs: int = 1,
) -> AuditReport:
    """Audit every tensor of a model against the rules and torch's defaults.

    Parameters
    ----------
    model : nn.Module, factory, state dict, path or import string
        A torch ``nn.Module`` instance (its parameters as they are); a zero-argument factory (a
        class or function returning one; built under ``torch.manual_seed(seed)``); a state dict
        (a mapping of name → tensor, or a ``.safetensors``/``.pt`` file; needs ``rules`` by name);
        or an import string naming any of these (``"pkg.mod:build_model"``, ``"path/to/file.py:net"``).
    rules : TOML path, dict, list of Rule, optional
        User rules, tried in order before the built-in torch defaults; the first match wins
        (see :mod:`verifier.auditing.rules`).
    alpha : float, optional
        Error rate across tensors (default 1e-4, or the rules file's ``[audit] alpha``).
    correction : ``'holm'`` (default: family-wise error rate) or ``'bh'`` (false discovery rate).
    seed : int
        Seeds the factory's construction and the lazy re-initialisation.
    lazy : bool, optional
        Factories only: audit module by module on the meta device. ``None`` decides by size
        (more than :data:`AUTO_LAZY_BYTES` of parameters → lazy).
    defaults : bool
        Apply the built-in torch default rules after the user rules.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal and tqdm is installed).
    jobs : int
        Sharded checkpoints (``*.safetensors.index.json`` or a directory of shards): audit the
        shards in this many processes (see :mod:`verifier.auditing.checkpoints`).

    Returns
    -------
    AuditReport
        ``.passed``, ``.rows`` (one per tensor), ``.failed``, ``.not_checked``; ``str()`` is a
        readable table; ``.to_json()``, ``.to_markdown()``, ``.to_html()``, ``.write(dir)``.

    Raises
    ------
    SourceError
        A model that cannot be loaded or built, or a state dict without rules by name.
    SpecError
        Bad rules, alpha or correction.

    Examples
    --------
    >>> import torch.nn as nn, verifier
    >>> report = verifier.audit(nn.Sequential(nn.Linear(64, 128), nn.LayerNorm(128)))
    >>> report.passed
    True
    """
    ruleset = as_rules(rules)
    level = validate_alpha(alpha if alpha is not None else ruleset.alpha)
    corr = canonical_correction(correction if correction is not None else ruleset.correction)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SpecError(f"seed must be an integer, got {seed!r}")
    kind, obj, desc = _resolve(model)
    notes: list[str] = []
    if kind == "state_dict":
        if not ruleset.has_name_rules:
            raise SourceError(
                "a state dict has no module types, so the built-in rules cannot apply; pass rules by name "
                "(rules= / --rules FILE with a [rules] table of name-glob = spec)"
            )
        if lazy:
            raise SourceError("lazy=True applies to factories only; a state dict is already read tensor by tensor")
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise SpecError(f"jobs must be a positive integer, got {jobs!r}")
        items, total, notes = _state_dict_items(obj)
        from .checkpoints import Checkpoint, checkpoint_rows

        if isinstance(obj, Checkpoint):
            rows = checkpoint_rows(obj, ruleset, level, progress, jobs)
        else:
            rows = _state_dict_rows(items, total, ruleset, level, progress)
        return AuditReport.decide(desc, rows, alpha=level, correction=corr, seed=None, mode="state dict", notes=notes)
    _torch()
    if kind == "module":
        if lazy:
            raise SourceError("lazy=True needs a factory (a class or zero-argument function), not a built module")
        rows = _eager_rows(obj, ruleset, defaults, level, progress)
        return AuditReport.decide(desc, rows, alpha=level, correction=corr, seed=None, mode="eager", notes=notes)
    # a factory
    torch = _torch()
    meta_model = None
    if lazy is None or lazy:
        try:
            with _seeded(seed), torch.device("meta"):
                meta_model = _call_factory(obj, "on the meta device")
        except SourceError:
            if lazy:
                raise
            notes.append("the factory could not be built on the meta device; audited eagerly")
        if lazy is None and meta_model is not None:
            size = _param_bytes(meta_model)
            lazy = size > AUTO_LAZY_BYTES
            if lazy:
                notes.append(f"parameters take {size / 2**30:.1f} GiB > {AUTO_LAZY_BYTES / 2**30:.0f} GiB: audited "
                             "module by module")
    if lazy:
        notes.append("lazy: built on the meta device; each module materialised, re-initialised by its own "
                     "reset_parameters() (seeded) and freed; initialisation the factory does after construction "
                     "is not seen")
        rows = _lazy_rows(meta_model, ruleset, defaults, level, seed, progress)
        return AuditReport.decide(desc, rows, alpha=level, correction=corr, seed=seed, mode="lazy", notes=notes)
    del meta_model
    with _seeded(seed):
        built = _call_factory(obj, "")
    rows = _eager_rows(built, ruleset, defaults, level, progress)
    return AuditReport.decide(desc, rows, alpha=level, correction=corr, seed=seed, mode="eager", notes=notes)
