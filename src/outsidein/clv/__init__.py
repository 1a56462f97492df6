"""Customer lifetime value: BG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma and sBG, and RFM.

Own NumPy/SciPy implementations: log-space likelihoods with analytic gradients, fitted on
compressed (x, t_x, T) rows, standard errors from the Hessian (``outsidein.clv.fit``).
Each model is one module with ``negll``, ``fit`` and its predictions.
"""

from outsidein.clv import bgbb, bgnbd, gammagamma, paretonbd, sbg
from outsidein.clv.data import RFM, compress
from outsidein.clv.errors import ClvError
from outsidein.clv.fit import Fit
from outsidein.clv.holdout import HoldoutCheck, check
from outsidein.clv.rfm import summary
from outsidein.clv.value import discounted_clv

__all__ = [
    "RFM",
    "ClvError",
    "Fit",
    "HoldoutCheck",
    "bgbb",
    "bgnbd",
    "check",
    "compress",
    "discounted_clv",
    "gammagamma",
    "paretonbd",
    "sbg",
    "summary",
]
