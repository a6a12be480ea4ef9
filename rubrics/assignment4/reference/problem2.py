"""Assignment 4, problem 2: a 4-2-3-1 ReLU network (reference solution)."""

import numpy as np

F_ALL_ONES = 24
N_PARAMS = 23


def _relu(z):
    return np.maximum(0.0, z)


def forward(u, W1, b1, W2, b2, W3, b3):
    """Output f(u) of the 4-2-3-1 net: two ReLU hidden layers, linear output."""
    u = np.asarray(u, dtype=np.float64)
    h1 = _relu(np.asarray(W1, dtype=np.float64) @ u + b1)
    h2 = _relu(np.asarray(W2, dtype=np.float64) @ h1 + b2)
    out = np.asarray(W3, dtype=np.float64) @ h2 + b3
    return float(np.asarray(out).reshape(-1)[0])


def count_parameters(layer_sizes):
    """Number of weights plus biases of a fully connected net with these layer sizes."""
    sizes = list(layer_sizes)
    return int(sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)))
