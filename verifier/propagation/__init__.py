"""Signal propagation: does the initialisation keep the variance through depth?

``verifier.propagate(model)`` records, with hooks, every layer's activation and back-propagated
gradient statistics over several seeds, sets the theory of Glorot & Bengio (2010) and He et al.
(2015) beside them (:mod:`.theory`), and decides whether the variance is kept within ``[1/k, k]``
from the first to the last layer, with t-intervals over seeds (:mod:`.verdict`); a failure comes
with a diagnosis (:mod:`.diagnosis`). torch is imported only when a model is propagated.

Modules: ``theory`` (laws, pure Python), ``verdict`` (intervals, pure numpy/scipy), ``recording``
(the hooks), ``result`` (frozen results), ``diagnosis``, ``api`` (``propagate``).
"""

from __future__ import annotations

from .api import (
    DEFAULT_BATCH,
    DEFAULT_SEEDS,
    assert_propagates,
    infer_input_shape,
    propagate,
)
from .result import (
    SCHEMA,
    Direction,
    Histogram,
    LayerResult,
    ParamResult,
    PropagationDiagnosis,
    PropagationReport,
    json_schema,
)
from .verdict import DEFAULT_CONFIDENCE, DEFAULT_K, Interval, log_t_interval

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_K",
    "DEFAULT_SEEDS",
    "SCHEMA",
    "Direction",
    "Histogram",
    "Interval",
    "LayerResult",
    "ParamResult",
    "PropagationDiagnosis",
    "PropagationReport",
    "assert_propagates",
    "infer_input_shape",
    "json_schema",
    "log_t_interval",
    "propagate",
]
