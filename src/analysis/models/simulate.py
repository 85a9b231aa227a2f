"""Drawing counts from a fitted family: the prediction band and the power simulations."""

from __future__ import annotations

import numpy as np


def simulate_counts(rng, mu: np.ndarray, family: str, scale: float, nb_alpha: float):
    """Draw counts with mean ``mu`` and the family's variance.

    Quasi-Poisson with dispersion ``phi > 1`` is drawn as a negative binomial with the
    same mean and variance ``phi * mu``; ``phi <= 1`` as Poisson.
    """
    if family == "negbin" and nb_alpha > 1e-8:
        size = 1.0 / nb_alpha
        return rng.negative_binomial(size, size / (size + mu))
    if family == "quasipoisson" and scale > 1.0 + 1e-8:
        size = mu / (scale - 1.0)
        return rng.negative_binomial(size, 1.0 / scale)
    return rng.poisson(mu)
