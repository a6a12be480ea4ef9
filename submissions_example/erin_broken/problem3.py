import numpy as np

WEIGHTS_CHANGE = False


def relu(z):
    return np.maximum(0.0, z)


def relu_grad(z):
    z = np.asarray(z, dtype=float)
    flat = z.reshape(-1)
    out = np.zeros_like(flat)
    i = 0
    while i < flat.size:
        if flat[i] > 0:
            out[i] = 1.0
        # forgot i += 1
    return out.reshape(z.shape)


def relu_neuron_weight_grad(w, b, X, upstream):
    z = X @ w + b
    active = (z > 0).astype(float)
    return X.T @ (upstream * active)
