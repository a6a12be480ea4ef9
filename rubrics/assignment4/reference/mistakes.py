"""Known misconceptions for Assignment 4, one function per misconception.

Each function has the same signature as the real one and returns exactly the
(wrong) answer a student holding that misconception would produce. The grader
calls them on the case inputs to recognise a student's wrong output and show
the matching hint.
"""

import numpy as np

# ---------------------------------------------------------------- problem 1

def one_hot_transposed(labels, num_classes=10):
    """One-hot encoding with the axes swapped: (num_classes, n) instead of (n, num_classes)."""
    labels = np.asarray(labels, dtype=int).ravel()
    out = np.zeros((num_classes, labels.size), dtype=np.float64)
    out[labels, np.arange(labels.size)] = 1.0
    return out


def softmax_unstable(logits):
    """Softmax without subtracting the max: overflows to nan for large logits."""
    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / np.sum(e, axis=-1, keepdims=True)


def softmax_wrong_axis(logits):
    """Stable softmax normalised over axis 0 (columns) instead of the last axis.

    For 1-D input this coincides with the correct softmax.
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - np.max(z, axis=0, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=0, keepdims=True)


# ---------------------------------------------------------------- problem 2

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward_sigmoid(u, W1, b1, W2, b2, W3, b3):
    """Forward pass with sigmoid instead of ReLU in both hidden layers (all ones -> ~2.63)."""
    u = np.asarray(u, dtype=np.float64)
    h1 = _sigmoid(np.asarray(W1, dtype=np.float64) @ u + b1)
    h2 = _sigmoid(np.asarray(W2, dtype=np.float64) @ h1 + b2)
    out = np.asarray(W3, dtype=np.float64) @ h2 + b3
    return float(np.asarray(out).reshape(-1)[0])


def forward_no_activation(u, W1, b1, W2, b2, W3, b3):
    """Forward pass of a purely linear network (the ReLUs forgotten)."""
    u = np.asarray(u, dtype=np.float64)
    h1 = np.asarray(W1, dtype=np.float64) @ u + b1
    h2 = np.asarray(W2, dtype=np.float64) @ h1 + b2
    out = np.asarray(W3, dtype=np.float64) @ h2 + b3
    return float(np.asarray(out).reshape(-1)[0])


def count_parameters_no_bias(layer_sizes):
    """Weights only, biases left out: [4, 2, 3, 1] -> 17."""
    sizes = list(layer_sizes)
    return int(sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)))


# ---------------------------------------------------------------- problem 3

def relu_grad_one_at_zero(z):
    """ReLU derivative taken as 1 at z == 0 (uses z >= 0)."""
    return (np.asarray(z, dtype=np.float64) >= 0).astype(np.float64)[()]


def relu_grad_half_at_zero(z):
    """ReLU derivative taken as 0.5 at z == 0."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, 1.0, np.where(z == 0, 0.5, 0.0))[()]


def neuron_grad_no_relu_mask(w, b, X, upstream):
    """dL/dw without the factor f'(z): X.T @ upstream, even for a dead neuron."""
    X = np.asarray(X, dtype=np.float64)
    return X.T @ np.asarray(upstream, dtype=np.float64)


# ---------------------------------------------------------------- problem 4

def l2_update_no_decay(w, grad, lr, lam):
    """Plain gradient step, regulariser ignored: w - lr*grad."""
    return np.asarray(w, dtype=np.float64) - lr * np.asarray(grad, dtype=np.float64)


def l2_update_sign_error(w, grad, lr, lam):
    """Sign error in the decay term: w (1 + lr*lam) - lr*grad."""
    w, grad = np.asarray(w, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    return w * (1 + lr * lam) - lr * grad


def l2_update_half_lambda(w, grad, lr, lam):
    """Derivative of (lam/2) w^2 taken as (lam/2) w: w (1 - lr*lam/2) - lr*grad."""
    w, grad = np.asarray(w, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    return w * (1 - lr * lam / 2) - lr * grad
