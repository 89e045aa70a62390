# A user's file, the kind README.md's "Check a Python backward" starts from: a cs231n-style forward and backward with
# one slip that is easy to make, the variance path divided by N - 1 (the unbiased variance) where the forward's
# biased variance needs N.
#
#   python3 adapters/python/bnverify_adapter.py examples/python/my_layers.py \
#       --forward batchnorm_forward --backward batchnorm_backward

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param['eps']
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, gamma, var, eps)


def batchnorm_backward(dout, cache):
    xhat, gamma, var, eps = cache
    N = dout.shape[0]
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * np.sum(dxhat * xhat, axis=0) / (N - 1)) / np.sqrt(var + eps)
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
