"""Assignment 4, problem 4: L2 regularisation as weight decay (reference solution)."""

import numpy as np

UPDATE_RULE = "w - eta*(dJ + lam*w)"
DECAY_FACTOR = "1 - eta*lam"

WEIGHT_DECAY_EXPLANATION = (
    "The gradient of (lambda/2) w^2 is lambda*w, so one step gives "
    "w_new = (1 - eta*lambda) w - eta*dJ. Before the data gradient is applied, "
    "every weight is multiplied by a factor slightly smaller than 1: the "
    "weights shrink ('decay') towards zero at each step, in proportion to "
    "their size, unless the data gradient keeps pushing them back."
)


def l2_update(w, grad, lr, lam):
    """One gradient step on J_data + (lam/2) w^2: w (1 - lr*lam) - lr*grad."""
    w, grad = np.asarray(w, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    return w * (1 - lr * lam) - lr * grad
