import numpy as np

UPDATE_RULE = "w - eta*dJ - eta*lam*w"

WEIGHT_DECAY_EXPLANATION = "Each step shrinks w by the factor (1 - eta*lam) so the weights decay."


def l2_update(w, grad, lr, lam):
    return w - lr * grad - lr * lam * w
