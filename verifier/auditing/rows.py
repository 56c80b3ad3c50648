"""How each tensor of a model becomes an :class:`~verifier.auditing.report.AuditRow`: the reasons
not to check it (buffers, integer, meta or lazy tensors), its expectation (the first matching rule,
else the preset's default), the check itself through :func:`verifier.pipeline.evaluate` (with the
padding rows' exact check and the refined diagnosis), declared ties, and the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verifier.errors import FanError, SourceError, SpecError
from verifier.pipeline import evaluate
from verifier.sources.values import from_values
from verifier.stats.checks import CheckResult
from verifier.stats.tolerance import Tolerance
from verifier.theory.fans import compute_fans
from verifier.verdict import SampleInfo, Verdict, decide

from .defaults import Expectation, padding_rows
from .exact import ExactSpec
from .presets import Preset
from .report import AuditRow, RuleUsage
from .rules import Rule, RuleSet, Skip

BUFFER_REASON = "buffer, not a parameter (running statistics, masks and constants are not initialised weights)"


def torch_or_error() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - exercised in the no-torch environment
        raise SourceError("auditing a model needs torch; pip install 'verifier[torch]'") from None
    return torch


# ---- progress ------------------------------------------------------------------------------
class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, progress: bool | None, desc: str) -> Any:
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


def shape_of(t: Any) -> tuple[int, ...]:
    s = getattr(t, "shape", None)
    return tuple(int(d) for d in s) if s is not None else ()


def not_checked(name: str, module_type: str, t: Any, reason: str, **extra: Any) -> AuditRow:
    return AuditRow(name, module_type, shape_of(t), _dtype_name(t), "not checked", reason=reason, **extra)


def _drop_rows(t: Any, rows: tuple[int, ...]) -> Any:
    keep = [i for i in range(t.shape[0]) if i not in set(rows)]
    if hasattr(t, "detach"):
        import torch

        return t.detach()[torch.tensor(keep, dtype=torch.long)]
    return np.asarray(t)[keep]


def check_tensor(name: str, tensor: Any, exp: Expectation, *, module_type: str, alpha: float,
                  tolerance: Tolerance | None = None) -> AuditRow:
    """Check one tensor against its expectation (the only place values are read); a failed tensor's
    diagnosis is refined from its values (the scheme they match, values at a bound)."""
    import dataclasses

    spec = exp.spec
    tolerance = exp.tolerance if exp.tolerance is not None else tolerance
    shape = shape_of(tensor)
    extra: dict[str, Any] = dict(expected=exp.label or str(spec), rule=exp.rule, note=exp.note,
                                 true_fans=exp.true_fans)
    fans = None
    if spec.needs_fans:
        try:
            fans = compute_fans(shape, exp.layout, fan_in=exp.fan_in, fan_out=exp.fan_out)
        except FanError as exc:
            return not_checked(name, module_type, tensor, f"{exc} (rule {exp.rule}: add fan_in/fan_out to it)", **extra)
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
        return not_checked(name, module_type, tensor, f"{exc}", **extra)
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
class Ctx:
    """What every row needs: the rules, the preset, the level, and a record of which rules won."""

    ruleset: RuleSet
    preset: Preset
    alpha: float
    tolerance: Tolerance | None
    matched: dict[int, list[str]] = field(default_factory=dict)  # rule index → tensors it decided
    shadowed: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # index → (tensor, winner)

    def merge_usage(self, other: Ctx) -> None:
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
                 ctx: Ctx) -> Expectation | str:
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


def row_of(name: str, t: Any, module: Any, ancestors: list[tuple[str, Any]], ctx: Ctx) -> AuditRow:
    module_type = type(module).__name__ if module is not None else "—"
    reason = _precheck(t)
    if reason is not None:
        return not_checked(name, module_type, t, reason)
    exp = _expectation(name, shape_of(t), module, ancestors, ctx)
    if isinstance(exp, str):
        return not_checked(name, module_type, t, exp)
    return check_tensor(name, t, exp, module_type=module_type, alpha=ctx.alpha, tolerance=ctx.tolerance)


def tie_row(name: str, t: Any, module_type: str, source: str, src: Any, alpha: float) -> AuditRow:
    """``name`` should be the same tensor as ``source`` (a declared tie) but is a separate one."""
    import torch

    equal = (src is not None and src.device.type != "meta" and t.device.type != "meta"
             and tuple(src.shape) == tuple(t.shape) and bool(torch.equal(src.detach(), t.detach())))
    detail = (f"declared tied to {source} but a separate tensor"
              + (" with equal values" if equal else " with different values"))
    check = CheckResult("tied", 0.0 if equal else 1.0, 1.0 if equal else 0.0, detail, passed=equal)
    info = SampleInfo(source=f"{name} ({module_type})", shape=shape_of(t), dtype=_dtype_name(t), n=int(t.numel()))
    verdict = Verdict(passed=equal, checks=(check,), expected=f"tied to {source}", distribution=None,
                      sample=info, alpha=alpha, detectable=(0.0, 0.0))
    return AuditRow(name, module_type, shape_of(t), _dtype_name(t), "checked", verdict=verdict,
                    expected=f"same tensor as {source}", rule="preset: tied weights",
                    note="" if equal else "the config declares this weight tied; tie_weights() was not applied")


def ancestors_of(mname: str, modules: Mapping[str, Any]) -> list[tuple[str, Any]]:
    if not mname:
        return []
    parts = mname.split(".")
    out = [("", modules[""])] if "" in modules else []
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if prefix in modules:
            out.append((prefix, modules[prefix]))
    return out


def named_tensors(model: Any) -> Iterator[tuple[str, str, Any, str, Any]]:
    """``(kind, full name, tensor, module name, module)`` in ``named_modules`` order."""
    for mname, mod in model.named_modules():
        for pname, p in mod.named_parameters(recurse=False):
            yield "parameter", f"{mname}.{pname}" if mname else pname, p, mname, mod
        for bname, b in mod.named_buffers(recurse=False):
            yield "buffer", f"{mname}.{bname}" if mname else bname, b, mname, mod
