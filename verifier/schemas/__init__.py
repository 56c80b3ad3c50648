"""The JSON Schemas of every machine-readable output (users script against them).

Every document carries ``"schema": "verifier.<kind>/<version>"``; :func:`schema_for` returns the
JSON Schema (draft 2020-12) of that kind and :func:`validate` checks a document against it (with
the optional ``jsonschema`` package). A change that breaks a consumer bumps the version.

=====================  ============================================================================
schema                 produced by
=====================  ============================================================================
``verifier.report/2``  ``verifier check|suite --format json``, ``report.json`` of ``--out``, the
                       pytest plugin's ``--verifier-report``
``verifier.verdict/1`` ``Verdict.to_dict()``: one verdict on its own
``verifier.audit/1``   ``verifier audit --format json``, ``AuditReport.to_dict()``
``verifier.identify/1`` ``verifier identify --format json``, ``Identification.to_dict()``
``verifier.compare/1`` ``verifier compare --format json``, ``Comparison.to_dict()``
``verifier.specs/1``   ``verifier specs --format json``
``verifier.propagation/1`` ``verifier propagate --format json``, ``PropagationReport.to_dict()``
=====================  ============================================================================
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["KINDS", "schema_for", "validate"]

#: Schema id → file in this package.
KINDS: dict[str, str] = {
    "verifier.report/2": "report.schema.json",
    "verifier.verdict/1": "verdict.schema.json",
    "verifier.audit/1": "audit.schema.json",
    "verifier.identify/1": "identify.schema.json",
    "verifier.compare/1": "compare.schema.json",
    "verifier.specs/1": "specs.schema.json",
    "verifier.propagation/1": "propagation.schema.json",
}


@lru_cache(maxsize=None)
def _load(filename: str) -> dict[str, Any]:
    return json.loads(resources.files(__name__).joinpath(filename).read_text(encoding="utf-8"))


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of documents whose ``schema`` field is ``kind``."""
    if kind not in KINDS:
        raise KeyError(f"unknown schema {kind!r}; known: {', '.join(KINDS)}")
    return _load(KINDS[kind])


def _registry() -> Any:
    from referencing import Registry, Resource

    return Registry().with_resources(
        (_load(f)["$id"], Resource.from_contents(_load(f))) for f in KINDS.values()
    )


def validate(document: dict[str, Any]) -> None:
    """Validate ``document`` against the schema its ``schema`` field names (needs ``jsonschema``).

    Raises ``jsonschema.ValidationError`` on a mismatch, ``KeyError`` for an unknown schema.
    """
    import jsonschema

    schema = schema_for(document.get("schema", ""))
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, registry=_registry()).validate(document)
