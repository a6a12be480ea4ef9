# Assignment 4 - Problem 2: the 4-2-3-1 network
import numpy as np
from utils import relu

# u = [1,1,1,1], all weights 1, biases 0:
#   h1 = relu([4, 4]) = [4, 4]
#   h2 = relu([8, 8, 8]) = [8, 8, 8]
#   f  = 8 + 8 + 8 = 24
F_ALL_ONES = 24

# (4*2 + 2) + (2*3 + 3) + (3*1 + 1) = 10 + 9 + 4
N_PARAMS = 23


def forward(u, W1, b1, W2, b2, W3, b3):
    h1 = relu(W1 @ u + b1)
    h2 = relu(W2 @ h1 + b2)
    out = W3 @ h2 + b3          # linear output unit, shape (1,)
    return float(out[0])


def count_parameters(layer_sizes):
    return sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
