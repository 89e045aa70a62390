# Seed 000 (shared/seeds/000_b3205b2064f3fde9.txt): the first batchnorm_backward(dout, cache) snippet, verbatim, with
# eps hard-coded to 1e-8 inside the backward, as impl/Implementations/Seed000Snippet.cs transcribes it. The only edit to
# the document's code is the `import numpy as np` it assumes.
#
# The document shows no forward for it. Its cache is (X, X_norm, mu, var, gamma, beta), so batchnorm_forward below,
# written for this file (not the document's code), is a cs231n-style training forward that builds exactly that cache
# with the eps it is given in bn_param.
#
#   python3 adapters/python/bnverify_adapter.py examples/python/seed000_snippet.py \
#       --forward batchnorm_forward --backward batchnorm_backward

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get('eps', 1e-5)
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    X_norm = (x - mu) / np.sqrt(var + eps)
    out = gamma * X_norm + beta
    return out, (x, X_norm, mu, var, gamma, beta)


def batchnorm_backward(dout, cache):
    X, X_norm, mu, var, gamma, beta = cache

    N, D = X.shape

    X_mu = X - mu
    std_inv = 1. / np.sqrt(var + 1e-8)

    dX_norm = dout * gamma
    dvar = np.sum(dX_norm * X_mu, axis=0) * -.5 * std_inv**3
    dmu = np.sum(dX_norm * -std_inv, axis=0) + dvar * np.mean(-2. * X_mu, axis=0)

    dX = (dX_norm * std_inv) + (dvar * 2 * X_mu / N) + (dmu / N)
    dgamma = np.sum(dout * X_norm, axis=0)
    dbeta = np.sum(dout, axis=0)

    return dX, dgamma, dbeta
