"""Assignment 4, problem 1: regression vs classification (reference solution)."""

import numpy as np

APPROACH = "B"

REASONS = (
    "Digit recognition is a classification problem, so approach B is better. "
    "Regression onto a single number imposes an order and a distance on the "
    "digits (it would say 7 is 'closer' to 8 than to 1 and that predicting 4 "
    "for a 3 is a small error), which means nothing for shapes of handwritten "
    "digits; averaging between two plausible classes also yields a third, "
    "wrong digit. With one-hot targets, a softmax output and cross-entropy "
    "loss, the network outputs a probability for each of the 10 classes, the "
    "loss penalises every wrong class equally and gives well-behaved "
    "gradients, and the prediction is simply the most probable class."
)


def one_hot(labels, num_classes=10):
    """Encode a 1-D array of n integer labels as an (n, num_classes) 0/1 array."""
    labels = np.asarray(labels, dtype=int).ravel()
    out = np.zeros((labels.size, num_classes), dtype=np.float64)
    out[np.arange(labels.size), labels] = 1.0
    return out


def softmax(logits):
    """Numerically stable softmax over the last axis (1-D or 2-D input)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)
