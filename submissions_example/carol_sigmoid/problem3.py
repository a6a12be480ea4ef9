"""
Problem 3 -- dead ReLU
Carol
"""
import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    # derivative of ReLU, taking f'(0) = 0
    return (np.asarray(z) > 0) * 1.0


def relu_neuron_weight_grad(w, b, X, upstream):
    """dL/dw = sum_i upstream_i * f'(z_i) * x_i"""
    z = X @ w + b
    return X.T @ (upstream * relu_grad(z))


# the gradient is 0 for a dead neuron so the weights stay the same
WEIGHTS_CHANGE = "No"
