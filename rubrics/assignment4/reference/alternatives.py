"""Alternative correct answers for Assignment 4 that the contract also accepts."""

import numpy as np


def relu_grad_nan_at_zero(z):
    """ReLU derivative with f'(0) left undefined: 1 where z > 0, 0 where z < 0, NaN at z == 0."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, 1.0, np.where(z < 0, 0.0, np.nan))[()]
