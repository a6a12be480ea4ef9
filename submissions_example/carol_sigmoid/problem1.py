"""
Problem 1 -- Regression vs. classification
Carol
"""
import numpy as np

APPROACH = "B"

REASONS = (
    "Approach B. Treating the digit as a real number (regression) assumes the "
    "classes are ordered and evenly spaced, but a '1' looks more like a '7' "
    "than like a '2'. MSE on the label would punish predicting 8 for a 0 much "
    "more than predicting 1 for a 0, which is arbitrary. Classification with a "
    "one-hot target and softmax output treats all 10 digits symmetrically and "
    "gives a probability distribution (cross-entropy loss)."
)


def one_hot(labels, num_classes=10):
    """Turn integer labels into one-hot rows."""
    return np.eye(num_classes)[labels]


def softmax(logits):
    """Softmax along the last axis, stable version."""
    z = np.asarray(logits, dtype=float)
    z = z - np.amax(z, axis=-1, keepdims=True)
    ez = np.exp(z)
    return ez / np.sum(ez, axis=-1, keepdims=True)
