import numpy as np

WEIGHTS_CHANGE = False


def relu(z):
    return np.maximum(0, z)


def relu_grad(z):
    # slope is 1 on the right side, 0 on the left
    return np.where(z >= 0, 1.0, 0.0)


def relu_neuron_weight_grad(w, b, X, upstream):
    grad = np.zeros(len(w))
    for i in range(X.shape[0]):
        z = np.dot(X[i], w) + b
        if z > 0:
            grad += upstream[i] * X[i]
    return grad
