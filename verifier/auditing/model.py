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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from verifier.errors import SourceError, SpecError, VerifierError
from verifier.sources.imports import load_target
from verifier.sources.values import _one_line
from verifier.stats.decision import validate_alpha
from verifier.stats.tolerance import Tolerance, as_tolerance

from .presets import resolve_preset
from .report import AuditReport, AuditRow, canonical_correction
from .rows import Ctx, torch_or_error
from .rules import as_rules
from .walks import eager_rows, lazy_rows, param_bytes, seeded, state_dict_items, state_dict_rows

__all__ = ["audit", "AUTO_LAZY_BYTES", "STATE_DICT_SUFFIXES", "NothingCheckedError"]


class NothingCheckedError(SourceError):
    """An audit in which no tensor was checked: never a pass (exit 2 on the CLI)."""


#: A factory whose parameters would take more than this many bytes is audited lazily.
AUTO_LAZY_BYTES = 1 << 30

#: File suffixes read as state dicts.
STATE_DICT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")


# ---- resolving what to audit ---------------------------------------------------------------
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
        ctx = Ctx(ruleset.bind(bound.names()), bound, level, tol)
        items, total, notes = state_dict_items(obj)
        from .checkpoints import Checkpoint, checkpoint_rows

        if isinstance(obj, Checkpoint):
            rows = checkpoint_rows(obj, ctx, progress, jobs)
        else:
            rows = state_dict_rows(items, total, ctx, progress)
        return _finish(desc, rows, ctx, corr, None, "state dict", notes, strict)
    torch = torch_or_error()
    if kind == "module":
        if lazy:
            raise SourceError("lazy=True needs a factory (a class or zero-argument function), not a built module")
        bound = resolve_preset(preset, obj)
        ctx = Ctx(ruleset.bind(bound.names()), bound, level, tol)
        rows = eager_rows(obj, ctx, progress)
        return _finish(desc, rows, ctx, corr, None, "eager", [*bound.notes(), *notes], strict)
    # a factory
    meta_model = None
    auto = lazy is None
    if lazy is None or lazy:
        try:
            with seeded(seed), torch.device("meta"):
                meta_model = _call_factory(obj, "on the meta device")
        except SourceError:
            if lazy:
                raise
            notes.append("the factory could not be built on the meta device; audited eagerly")
        if lazy is None and meta_model is not None:
            size = param_bytes(meta_model)
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
        ctx = Ctx(ruleset.bind(bound.names()), bound, level, tol)
        rows = lazy_rows(meta_model, ctx, seed, progress)
        return _finish(desc, rows, ctx, corr, seed, "lazy", [*bound.notes(), *notes], strict)
    del meta_model
    with seeded(seed):
        built = _call_factory(obj, "")
    bound = resolve_preset(preset, built)
    ctx = Ctx(ruleset.bind(bound.names()), bound, level, tol)
    rows = eager_rows(built, ctx, progress)
    return _finish(desc, rows, ctx, corr, seed, "eager", [*bound.notes(), *notes], strict)


def _finish(desc: str, rows: list[AuditRow], ctx: Ctx, corr: str, seed: int | None, mode: str,
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
