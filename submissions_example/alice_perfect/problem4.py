# Assignment 4 - Problem 4: L2 regularisation
import numpy as np

# dJ_total/dw = dJ + lam*w
UPDATE_RULE = "w_new = w*(1 - eta*lam) - eta*dJ"
DECAY_FACTOR = "1 - eta*lam"

WEIGHT_DECAY_EXPLANATION = (
    "Rewriting the update as w_new = (1 - eta*lam) * w - eta*dJ shows that every "
    "step first multiplies the old weight by a number a bit below 1, so without "
    "a gradient from the data the weights shrink geometrically towards 0. "
    "That's why the L2 penalty is called weight decay."
)


def l2_update(w, grad, lr, lam):
    return (1 - lr * lam) * w - lr * grad
