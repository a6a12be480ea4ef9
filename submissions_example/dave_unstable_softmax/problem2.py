import numpy as np

F_ALL_ONES = 24
N_PARAMS = 23


def relu(x):
    return x * (x > 0)


def forward(u, W1, b1, W2, b2, W3, b3):
    a1 = relu(W1.dot(u) + b1)
    a2 = relu(W2.dot(a1) + b2)
    return (W3.dot(a2) + b3)[0]


def count_parameters(layer_sizes):
    return sum([layer_sizes[k] * layer_sizes[k + 1] + layer_sizes[k + 1]
                for k in range(len(layer_sizes) - 1)])
