# Seed 002 (shared/seeds/002_97ccfa39f03c7910.txt): cs231n assignment 2's batchnorm_backward_alt, verbatim, the way
# impl/Implementations/Seed002Alt.cs transcribes it (dgamma and dbeta keep dims [1, D], which the adapter accepts).
#
# The document shows only the backward. Its cache, (x_normalized, gamma, beta, sample_mean, sample_var, x, eps), is what
# cs231n's batchnorm_forward builds in training mode, so batchnorm_forward below is that forward, written for this file
# (it is not the document's code): training-mode statistics, the cache in the backward's order, and the running
# averages cs231n keeps in bn_param.
#
#   python3 adapters/python/bnverify_adapter.py examples/python/seed002_alt.py \
#       --forward batchnorm_forward --backward batchnorm_backward_alt

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    if mode != 'train':
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    sample_mean = np.mean(x, axis=0)
    sample_var = np.var(x, axis=0)
    x_normalized = (x - sample_mean) / np.sqrt(sample_var + eps)
    out = gamma * x_normalized + beta
    cache = (x_normalized, gamma, beta, sample_mean, sample_var, x, eps)
    bn_param['running_mean'] = momentum * running_mean + (1 - momentum) * sample_mean
    bn_param['running_var'] = momentum * running_var + (1 - momentum) * sample_var
    return out, cache


def batchnorm_backward_alt(dout, cache):
    dx, dgamma, dbeta = None, None, None
    x_normalized, gamma, beta, sample_mean, sample_var, x, eps = cache
    N, D = x.shape
    dx_normalized = dout * gamma       # [N,D]
    x_mu = x - sample_mean             # [N,D]
    sample_std_inv = 1.0 / np.sqrt(sample_var + eps)    # [1,D]
    dgamma = np.sum(dout * x_normalized, axis=0, keepdims=True)
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dx = (1./N)*sample_std_inv*(N*dx_normalized-np.sum(dx_normalized,axis=0,keepdims=True)*x_normalized-np.sum(dx_normalized,axis=0,keepdims=True))
    return dx, dgamma, dbeta
