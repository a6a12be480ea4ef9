import numpy as np

F_ALL_ONES = 24.0
N_PARAMS = 17   # 4*2 + 2*3 + 3*1


def forward(u, W1, b1, W2, b2, W3, b3):
    # layer 1
    z1 = np.dot(W1, u) + b1
    a1 = np.maximum(0, z1)
    # layer 2
    z2 = np.dot(W2, a1) + b2
    a2 = np.maximum(0, z2)
    # output (no activation)
    z3 = np.dot(W3, a2) + b3
    return z3.item()


def count_parameters(layer_sizes):
    total = 0
    for i in range(len(layer_sizes) - 1):
        # weight matrix between layer i and layer i+1
        total += layer_sizes[i] * layer_sizes[i + 1]
    return total
