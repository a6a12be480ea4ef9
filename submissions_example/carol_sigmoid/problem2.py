"""
Problem 2 -- forward pass of the 4-2-3-1 network
Carol
"""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def forward(u, W1, b1, W2, b2, W3, b3):
    """Compute f(u) for the 4-2-3-1 network."""
    h1 = sigmoid(W1 @ u + b1)
    print("h1 =", h1)  # TODO remove
    h2 = sigmoid(W2 @ h1 + b2)
    y = W3 @ h2 + b3
    return float(y[0])


# computed by hand: sigmoid(4) = 0.982, sigmoid(1.964) = 0.877, 3 * 0.877 = 2.63
F_ALL_ONES = 2.63


def count_parameters(layer_sizes):
    """Total number of weights and biases."""
    n = 0
    for n_in, n_out in zip(layer_sizes, layer_sizes[1:]):
        n += n_in * n_out  # weights
        n += n_out         # biases
    return n


N_PARAMS = 23
