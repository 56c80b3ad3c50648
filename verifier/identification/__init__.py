"""Identify an initializer: which known scheme do these weights come from?

:func:`identify` reads the values once (:func:`~verifier.stats.summary.summarize`: sorted values,
or the bit-pattern histogram for float16/bfloat16, plus the moments) and ranks the candidates:

* every named spec (xavier/glorot, he/kaiming, lecun; uniform, normal and truncated normal) over
  ``mode='fan_in'``/``'fan_out'`` and the common gains (1, √2, 5/3, 3/4, leaky_relu ``a=√5``),
* the framework defaults (torch's ``nn.Linear``/``nn.Conv`` ``kaiming_uniform(a=√5)`` =
  ``U(±1/√fan_in)``, Keras's ``glorot_uniform``, Flax's truncated ``lecun_normal``) and common
  fixed-scale draws (``normal(std=0.02)``, Keras/JAX defaults),
* the normal, uniform and truncated-normal families fitted to the data (``normal(std=0.0213)
  (fitted)``).

* a depth-scaled std ``s/√(2·L)`` (GPT-2/Megatron residual projections, ``s`` = 0.02) for the one
  integer ``L`` whose std fits, when no neighbouring ``L`` fits as well.

Ranking: first the shape of the distribution — the KS distance of the standardized values to each
family (uniform, normal, normal truncated at ±2σ); a family is acceptable when its distance is
within the 1 % KS critical value of the best family's — then ``|log(std ratio)|``. Named candidates
whose std-ratio CI holds 1 come first, then the fitted families ordered by that KS distance (the
goodness of fit breaks the tie: every fitted family has std ratio 1 by construction), then the rest.

A constant tensor (every finite value equal) is named, not refused: ``zeros``, ``ones`` or
``constant(c)`` (LayerNorm weights, biases).
"""

from __future__ import annotations

from verifier.identification.candidates import candidate_specs
from verifier.identification.ranking import identify
from verifier.identification.result import Identification, Match

__all__ = ["Match", "Identification", "identify", "candidate_specs"]
