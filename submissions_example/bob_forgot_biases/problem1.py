import numpy as np

APPROACH = "b"

REASONS = "B because the digits are categories not numbers, 9 is not 'more' than 3. Softmax gives probabilities for each class and one hot labels work with cross entropy."


def one_hot(labels, num_classes=10):
    n = len(labels)
    result = np.zeros((n, num_classes))
    for i in range(n):
        result[i][labels[i]] = 1.0
    return result


def softmax(logits):
    x = np.array(logits, dtype=np.float64)
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    s = np.sum(e, axis=-1, keepdims=True)
    return e / s
