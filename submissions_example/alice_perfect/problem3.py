# Assignment 4 - Problem 3: dead ReLU
import numpy as np
import utils

# A dead neuron has z < 0 on every input, so f'(z) = 0 everywhere and the
# gradient w.r.t. its weights is zero -> gradient descent never moves them.
WEIGHTS_CHANGE = False


def relu(z):
    return utils.relu(z)


def relu_grad(z):
    return utils.relu_derivative(z)


def relu_neuron_weight_grad(w, b, X, upstream):
    z = X @ w + b                       # (n,)
    delta = upstream * utils.relu_derivative(z)
    return X.T @ delta                  # (d,)
