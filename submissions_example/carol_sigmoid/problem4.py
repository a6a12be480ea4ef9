"""
Problem 4 -- L2 regularisation
Carol
"""
import numpy as np

UPDATE_RULE = "w_new = w - η*dJ - η*λ*w"
DECAY_FACTOR = "1 - η*λ"

WEIGHT_DECAY_EXPLANATION = (
    "The penalty adds -eta*lambda*w to each update, i.e. a pull towards zero "
    "proportional to the weight itself, so large weights decay the fastest."
)


def l2_update(w, grad, lr, lam):
    dJ_total = grad + lam * w
    return w - lr * dJ_total
