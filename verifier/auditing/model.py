"""Walking a model: every named tensor gets a row, checked or listed with the reason.

Three ways in:

* a torch ``nn.Module`` instance: its parameters as they are (eager);
* a zero-argument factory (a class or function): built under ``torch.manual_seed(seed)``
  inside ``torch.random.fork_rng`` and audited eagerly, or, for models too big for memory,
  module by module (``lazy=True``; chosen automatically when the parameters would take more
  than :data:`AUTO_LAZY_BYTES`): the model is built on the ``meta`` device, then each module
  that owns parameters is materialised on the CPU (``to_empty(recurse=False)``), re-initialised
  by its own ``reset_parameters()`` and the preset's replay of the library's post-construction
  init (``_init_weights`` for transformers, the architecture's init loop for torchvision/timm),
  checked and freed again, so at most one module's parameters exist at a time. An automatic lazy
  audit is refused (one line, naming the source line) when the model's own ``__init__``
  initialises parameters in a way no preset replays; ``lazy=True`` audits anyway and notes it;
* a state dict (a mapping, a ``.safetensors`` file read tensor by tensor, or a ``.pt`` file read
  with ``torch.load(weights_only=True)``): no module types, so rules by name are required.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
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
from verifier.pipeline import evaluate
from verifier.verdict import SampleInfo, Verdict, decide

from verifier.stats.tolerance import Tolerance, as_tolerance

from .defaults import Expectation, padding_rows
from .exact import ExactSpec
from .presets import Preset, resolve_preset
from .report import AuditReport, AuditRow, RuleUsage, canonical_correction
from .rules import Rule, RuleSet, Skip, as_rules

__all__ = ["audit", "AUTO_LAZY_BYTES", "STATE_DICT_SUFFIXES", "NothingCheckedError"]


class NothingCheckedError(SourceError):
    """An audit in which no tensor was checked: never a pass (exit 2 on the CLI)."""


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

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
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


def _check_tensor(name: str, tensor: Any, exp: Expectation, *, module_type: str, alpha: float,
                  tolerance: Tolerance | None = None) -> AuditRow:
    """Check one tensor against its expectation (the only place values are read); a failed tensor's
    diagnosis is refined from its values (the scheme they match, values at a bound)."""
    import dataclasses

    spec = exp.spec
    tolerance = exp.tolerance if exp.tolerance is not None else tolerance
    shape = _shape(tensor)
    extra: dict[str, Any] = dict(expected=exp.label or str(spec), rule=exp.rule, note=exp.note,
                                 true_fans=exp.true_fans)
    fans = None
    if spec.needs_fans:
        try:
            fans = compute_fans(shape, exp.layout, fan_in=exp.fan_in, fan_out=exp.fan_out)
        except FanError as exc:
            return _not_checked(name, module_type, tensor, f"{exc} (rule {exp.rule}: add fan_in/fan_out to it)", **extra)
    try:
        values = _drop_rows(tensor, exp.zero_rows) if exp.zero_rows else tensor
        # fans are the whole tensor's, also when padding rows were left out of the sample
        verdict = evaluate(from_values(values), spec, layout=exp.layout,
                           fan_in=fans.fan_in if fans is not None else exp.fan_in,
                           fan_out=fans.fan_out if fans is not None else exp.fan_out,
                           alpha=alpha, tolerance=tolerance, label=f"{name} ({module_type})")
        if exp.zero_rows:
            verdict = _with_zero_rows(verdict, tensor, exp.zero_rows, alpha)
        if not verdict.passed and verdict.diagnosis is not None:
            from verifier.diagnosis import refine

            verdict = dataclasses.replace(verdict, diagnosis=refine(verdict.diagnosis, verdict, values))
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
    checks = decide(verdict.checks + (check,), alpha, verdict.summary.n if verdict.summary is not None else None)
    passed = all(c.passed or bool(c.within_tolerance) for c in checks)
    out = dataclasses.replace(verdict, checks=checks, passed=passed)
    if not passed and out.summary is not None:
        from verifier.diagnosis import diagnose

        out = dataclasses.replace(out, diagnosis=diagnose(out))
    return out


# ---- expectations --------------------------------------------------------------------------
@dataclass
class _Ctx:
    """What every row needs: the rules, the preset, the level, and a record of which rules won."""

    ruleset: RuleSet
    preset: Preset
    alpha: float
    tolerance: Tolerance | None
    matched: dict[int, list[str]] = field(default_factory=dict)  # rule index → tensors it decided
    shadowed: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # index → (tensor, winner)

    def merge_usage(self, other: _Ctx) -> None:
        """Add the rule matches another process recorded (a sharded checkpoint audited with ``jobs``)."""
        for i, names in other.matched.items():
            self.matched.setdefault(i, []).extend(names)
        for i, pairs in other.shadowed.items():
            self.shadowed.setdefault(i, []).extend(pairs)

    def usage(self) -> RuleUsage:
        rules = self.ruleset.rules
        unmatched = tuple(r.label for i, r in enumerate(rules) if i not in self.matched and i not in self.shadowed)
        shadowed = tuple(
            (r.label, self.shadowed[i][0][1], len(self.shadowed[i]))
            for i, r in enumerate(rules) if i in self.shadowed and i not in self.matched
        )
        return RuleUsage(len(rules), unmatched, shadowed)


def _expectation(name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]],
                 ctx: _Ctx) -> Expectation | str:
    hits = ctx.ruleset.matches(name, module)
    if hits:
        rules = ctx.ruleset.rules
        win = hits[0]
        index = {id(r): i for i, r in enumerate(rules)}
        ctx.matched.setdefault(index[id(win)], []).append(name)
        for other in hits[1:]:
            ctx.shadowed.setdefault(index[id(other)], []).append((name, win.label))
        return _rule_expectation(win, shape, module)
    if module is None:
        return "no rule matches this name (a state dict has no module types; add a [rules] entry)"
    exp = ctx.preset.expectation(name, shape, module, ancestors)
    if exp is None and ctx.preset.name not in ("torch", "none"):
        from .defaults import default_expectation

        exp = default_expectation(name, shape, module, ancestors)
    if exp is None:
        return f"no rule for {type(module).__name__}.{name.rsplit('.', 1)[-1]} (preset 'none': only your rules apply)"
    return exp


def _rule_expectation(rule: Rule, shape: tuple[int, ...], module: Any) -> Expectation | str:
    """A user rule's expectation, keeping the structural checks (padding rows) that hold whatever the
    distribution: a rule on an ``Embedding`` still requires its ``padding_idx`` row to be zero."""
    spec = rule.resolved
    if isinstance(spec, Skip):
        why = f": {spec.reason}" if spec.reason else ""
        return f"skipped by rule {rule.label}{why}"
    rows = padding_rows(module, shape) if module is not None and not isinstance(spec, ExactSpec) else ()
    note = f"padding_idx row {rows[0]} must be exactly zero (kept under your rule)" if rows else ""
    return Expectation(spec, rule.label, fan_in=rule.fan_in, fan_out=rule.fan_out, layout=rule.layout,
                       zero_rows=rows, note=note, tolerance=rule.tolerance)


def _row(name: str, t: Any, module: Any, ancestors: list[tuple[str, Any]], ctx: _Ctx) -> AuditRow:
    module_type = type(module).__name__ if module is not None else "—"
    reason = _precheck(t)
    if reason is not None:
        return _not_checked(name, module_type, t, reason)
    exp = _expectation(name, _shape(t), module, ancestors, ctx)
    if isinstance(exp, str):
        return _not_checked(name, module_type, t, exp)
    return _check_tensor(name, t, exp, module_type=module_type, alpha=ctx.alpha, tolerance=ctx.tolerance)


def _tie_row(name: str, t: Any, module_type: str, source: str, src: Any, alpha: float) -> AuditRow:
    """``name`` should be the same tensor as ``source`` (a declared tie) but is a separate one."""
    import torch

    equal = (src is not None and src.device.type != "meta" and t.device.type != "meta"
             and tuple(src.shape) == tuple(t.shape) and bool(torch.equal(src.detach(), t.detach())))
    detail = (f"declared tied to {source} but a separate tensor"
              + (" with equal values" if equal else " with different values"))
    check = CheckResult("tied", 0.0 if equal else 1.0, 1.0 if equal else 0.0, detail, passed=equal)
    info = SampleInfo(source=f"{name} ({module_type})", shape=_shape(t), dtype=_dtype_name(t), n=int(t.numel()))
    verdict = Verdict(passed=equal, checks=(check,), expected=f"tied to {source}", distribution=None,
                      sample=info, alpha=alpha, detectable=(0.0, 0.0))
    return AuditRow(name, module_type, _shape(t), _dtype_name(t), "checked", verdict=verdict,
                    expected=f"same tensor as {source}", rule="preset: tied weights",
                    note="" if equal else "the config declares this weight tied; tie_weights() was not applied")


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
def _eager_rows(model: Any, ctx: _Ctx, progress: bool | None) -> list[AuditRow]:
    modules = dict(model.named_modules())
    ties = dict(ctx.preset.ties())
    params = dict(model.named_parameters(remove_duplicate=False))
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
            elif name in ties and ties[name] in params:
                owner[id(t)] = name
                rows.append(_tie_row(name, t, tname, ties[name], params[ties[name]], ctx.alpha))
            else:
                owner[id(t)] = name
                bar.set_postfix_str(name, refresh=False)  # the tensor being checked: big ones take a while
                rows.append(_row(name, t, mod, _ancestors(mname, modules), ctx))
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


def _lazy_rows(model: Any, ctx: _Ctx, seed: int, progress: bool | None) -> list[AuditRow]:
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
    ties = dict(ctx.preset.ties())
    bar = _bar(len(entries), progress, "audit (lazy)")
    for kind, name, t, _mname, mod in entries:
        if kind == "buffer":
            rows[name] = _not_checked(name, type(mod).__name__, t, _BUFFER_REASON)
            bar.update(1)
        elif kind == "parameter" and name in ties and name not in tied:
            rows[name] = _tie_row(name, t, type(mod).__name__, ties[name], None, ctx.alpha)
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
                unit = list(mod.named_modules(prefix=mname))
                # a module whose own reset_parameters() also sets its children's tensors (MultiheadAttention
                # re-sets out_proj.bias) is materialised with them; one without a reset method (a model root
                # owning a class token) alone, so a big model is never materialised whole
                grouped = reset is not None and any(True for _, m in unit[1:] for _ in m.parameters(recurse=False))
                if not grouped:
                    unit = unit[:1]
                for n, _ in unit:
                    done.add(n)
                ancestors = _ancestors(mname, modules)
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
                    anc = _ancestors(n, modules)
                    has_reset = _reset_method(m) is not None
                    for pname, p in m.named_parameters(recurse=False):
                        full = f"{n}.{pname}" if n else pname
                        if full in rows:
                            continue
                        if failure is not None:
                            row = _not_checked(full, type(m).__name__, p, failure)
                        elif not has_reset and not ctx.preset.replayed(full, _shape(p), m, anc):
                            row = _not_checked(full, type(m).__name__, p,
                                               f"lazy audit: {type(m).__name__} has no reset_parameters() and the "
                                               f"{ctx.preset.name} preset does not re-initialise it (audit eagerly "
                                               "with lazy=False)")
                        else:
                            bar.set_postfix_str(full, refresh=False)
                            row = _row(full, p, m, anc, ctx)
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


def _state_dict_rows(items: Iterator[tuple[str, Any]], total: int, ctx: _Ctx,
                     progress: bool | None) -> list[AuditRow]:
    rows = []
    bar = _bar(total, progress, "audit")
    try:
        for name, t in items:
            rows.append(_row(str(name), t, None, [], ctx))
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
    preset: str | None = "auto",
    alpha: float | None = None,
    correction: str | None = None,
    tolerance: Tolerance | float | None = None,
    strict: bool | None = None,
    seed: int = 0,
    lazy: bool | None = None,
    defaults: bool = True,
    progress: bool | None = None,
    jobs: int = 1,
) -> AuditReport:
    """Audit every tensor of a model against the rules, the library's preset and torch's defaults.

    Parameters
    ----------
    model : nn.Module, factory, state dict, path or import string
        A torch ``nn.Module`` instance (its parameters as they are); a zero-argument factory (a
        class or function returning one; built under ``torch.manual_seed(seed)``); a state dict
        (a mapping of name → tensor, or a ``.safetensors``/``.pt`` file; needs ``rules`` by name);
        or an import string naming any of these (``"pkg.mod:build_model"``, ``"path/to/file.py:net"``).
    rules : TOML path, dict, list of Rule, optional
        User rules, tried in order before the preset; the first match wins (see
        :mod:`verifier.auditing.rules`). Their specs may use the preset's config names
        (``"normal(std=initializer_range/sqrt(2*n_layer))"``).
    preset : ``'auto'`` (default), ``'torch'``, ``'transformers'`` or ``'none'``
        The library's documented initialisation as rules (:mod:`verifier.auditing.presets`);
        ``'auto'`` picks ``'transformers'`` for a ``PreTrainedModel`` and ``'torch'`` otherwise.
    alpha : float, optional
        Error rate across tensors (default 1e-4, or the rules file's ``[audit] alpha``).
    correction : ``'holm'`` (default: family-wise error rate) or ``'bh'`` (false discovery rate).
    tolerance : float or Tolerance, optional
        Practical tolerance for every tensor (a rule's own ``tolerance`` overrides it): a
        deviation detected but within it does not fail the tensor.
    strict : bool, optional
        Rules that match no tensor, or only tensors an earlier rule already decides, are an error
        (:class:`~verifier.errors.SpecError`) instead of a listed warning.
    seed : int
        Seeds the factory's construction and the lazy re-initialisation.
    lazy : bool, optional
        Factories only: audit module by module on the meta device, each module re-initialised
        by its ``reset_parameters()`` and the preset's replay (``_init_weights`` for
        transformers). ``None`` decides by size (more than :data:`AUTO_LAZY_BYTES` → lazy), and
        refuses when the model's own post-construction init cannot be replayed.
    defaults : bool
        ``False`` is ``preset='none'``: only the user rules apply.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal and tqdm is installed).
    jobs : int
        Sharded checkpoints (``*.safetensors.index.json`` or a directory of shards): audit the
        shards in this many processes (see :mod:`verifier.auditing.checkpoints`).

    Returns
    -------
    AuditReport
        ``.passed``, ``.rows`` (one per tensor), ``.failed``, ``.not_checked``, ``.rule_usage``;
        ``str()`` is a readable table; ``.to_json()``, ``.to_markdown()``, ``.to_html()``, ``.write(dir)``.

    Raises
    ------
    SourceError
        A model that cannot be loaded or built, a state dict without rules by name, an audit that
        checked no tensor, or an automatic lazy audit that could not see the model's init.
    SpecError
        Bad rules, preset, alpha, correction or tolerance; with ``strict``, unused rules.

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
    tol = as_tolerance(tolerance) if tolerance is not None else ruleset.tolerance
    strict = bool(strict if strict is not None else ruleset.strict)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SpecError(f"seed must be an integer, got {seed!r}")
    if not defaults:
        preset = "none"
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
        bound = resolve_preset(None if preset == "auto" else preset, None)
        ctx = _Ctx(ruleset.bind(bound.names()), bound, level, tol)
        items, total, notes = _state_dict_items(obj)
        from .checkpoints import Checkpoint, checkpoint_rows

        if isinstance(obj, Checkpoint):
            rows = checkpoint_rows(obj, ctx, progress, jobs)
        else:
            rows = _state_dict_rows(items, total, ctx, progress)
        return _finish(desc, rows, ctx, corr, None, "state dict", notes, strict)
    torch = _torch()
    if kind == "module":
        if lazy:
            raise SourceError("lazy=True needs a factory (a class or zero-argument function), not a built module")
        bound = resolve_preset(preset, obj)
        ctx = _Ctx(ruleset.bind(bound.names()), bound, level, tol)
        rows = _eager_rows(obj, ctx, progress)
        return _finish(desc, rows, ctx, corr, None, "eager", [*bound.notes(), *notes], strict)
    # a factory
    meta_model = None
    auto = lazy is None
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
        bound = resolve_preset(preset, meta_model)
        blocker = bound.lazy_blocker()
        if blocker is not None and auto:
            raise SourceError(f"cannot audit lazily (the model is over {AUTO_LAZY_BYTES / 2**30:.0f} GiB): {blocker}; "
                              "pass lazy=False (--no-lazy) to build it whole, or lazy=True (--lazy) to audit what "
                              "reset_parameters() draws")
        notes.append(f"lazy: built on the meta device; each module materialised, re-initialised by "
                     f"{bound.replays()} and freed")
        if blocker is not None:
            notes.append(f"lazy audit cannot see: {blocker}")
        ctx = _Ctx(ruleset.bind(bound.names()), bound, level, tol)
        rows = _lazy_rows(meta_model, ctx, seed, progress)
        return _finish(desc, rows, ctx, corr, seed, "lazy", [*bound.notes(), *notes], strict)
    del meta_model
    with _seeded(seed):
        built = _call_factory(obj, "")
    bound = resolve_preset(preset, built)
    ctx = _Ctx(ruleset.bind(bound.names()), bound, level, tol)
    rows = _eager_rows(built, ctx, progress)
    return _finish(desc, rows, ctx, corr, seed, "eager", [*bound.notes(), *notes], strict)


def _finish(desc: str, rows: list[AuditRow], ctx: _Ctx, corr: str, seed: int | None, mode: str,
            notes: list[str], strict: bool) -> AuditReport:
    """Decide across tensors; refuse an audit that checked nothing and, with ``strict``, unused rules."""
    usage = ctx.usage()
    if strict and (usage.unmatched or usage.shadowed):
        raise SpecError(f"strict: {usage.summary()}; fix or remove these rules")
    if not any(r.verdict is not None for r in rows):
        reasons = list(dict.fromkeys(r.reason for r in rows))
        shown = "; ".join(reasons[:2]) + (f"; and {len(reasons) - 2} other reasons" if len(reasons) > 2 else "")
        raise NothingCheckedError(
            f"nothing was checked in {desc}: {len(rows)} tensors, none checked"
            + (f" ({shown})" if rows else "") + "; add rules or a preset that covers them"
        )
    return AuditReport.decide(desc, rows, alpha=ctx.alpha, correction=corr, seed=seed, mode=mode, notes=notes,
                              rule_usage=usage, preset=ctx.preset.name)
