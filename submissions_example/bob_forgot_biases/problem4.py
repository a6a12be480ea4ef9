import numpy as np

UPDATE_RULE = "w - lr*(dJ + lam*w)"
DECAY_FACTOR = "1 - lr*lam"

WEIGHT_DECAY_EXPLANATION = "Because the weights get smaller every step (multiplied by 1 - lr*lam)."


def l2_update(w, grad, lr, lam):
    return w - lr * (grad + lam * w)
