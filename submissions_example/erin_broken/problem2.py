import numpy as np

F_ALL_ONES = 24
N_PARAMS = 23


def forward(u, W1, b1, W2, b2, W3, b3):
    h = np.maximum(0, W1 @ u + b1)
    h = np.maximum(0, W2 @ h + b2)
    return float((W3 @ h + b3)[0])


def count_parameters(layer_sizes):
    total = 0
    for i in range(1, len(layer_sizes)):
        total += (layer_sizes[i - 1] + 1) * layer_sizes[i]   # +1 for the bias
    return total
