import numpy as np

# regularisation term adds lam*w to the gradient
UPDATE_RULE = "w*(1 + eta*lam) - eta*dJ"
DECAY_FACTOR = "1 + eta*lam"

WEIGHT_DECAY_EXPLANATION = "the lambda term changes the weights every step, that is the decay"


def l2_update(w, grad, lr, lam):
    return w * (1 + lr * lam) - lr * grad
