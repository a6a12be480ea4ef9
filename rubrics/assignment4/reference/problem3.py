"""Assignment 4, problem 3: the dead ReLU (reference solution)."""

import numpy as np

WEIGHTS_CHANGE = False


def relu(z):
    """max(0, z) elementwise as float64; a scalar in gives a numpy scalar out."""
    return np.maximum(0.0, np.asarray(z, dtype=np.float64))[()]


def relu_grad(z):
    """Derivative of ReLU: 1.0 where z > 0, else 0.0 (f'(0) = 0 by convention)."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)[()]


def relu_neuron_weight_grad(w, b, X, upstream):
    """dL/dw for one ReLU neuron f_i = relu(X[i] . w + b), given upstream = dL/df."""
    X = np.asarray(X, dtype=np.float64)
    z = X @ np.asarray(w, dtype=np.float64) + b
    return X.T @ (np.asarray(upstream, dtype=np.float64) * (z > 0))
