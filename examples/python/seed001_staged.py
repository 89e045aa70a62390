# Seed 001 (shared/seeds/001_61f8a25ce2380e9e.txt): the staged forward and the staged computational-graph backward,
# as the document writes them. Edits, the same as impl/Implementations/Seed001Staged.cs lists: the two code lines whose
# comments lack '#' ("dx1 = (dxmu1 + dxmu2) 注意这是 x 的一个支路" under step2 and "dx2 = ... * dmu 注意这是 x 的第二个支路"
# under step1) get their '#' (the seeds README speaks of three such comments; the code has these two). Nothing else.
#
#   python3 adapters/python/bnverify_adapter.py examples/python/seed001_staged.py \
#       --forward batchnorm_forward --backward batchnorm_backward
# (the forward's fourth parameter is named eps, so the adapter passes eps, not bn_param)

import numpy as np
def batchnorm_forward(x, gamma, beta, eps):

  N, D = x.shape

  #为了后向传播求导方便，这里都是分步进行的
  #step1: 计算均值
  mu = 1./N * np.sum(x, axis = 0)

  #step2: 减均值
  xmu = x - mu

  #step3: 计算方差
  sq = xmu ** 2
  var = 1./N * np.sum(sq, axis = 0)

  #step4: 计算 x^的分母项
  sqrtvar = np.sqrt(var + eps)
  ivar = 1./sqrtvar

  #step5: normalization->x^
  xhat = xmu * ivar

  #step6: scale and shift
  gammax = gamma * xhat
  out = gammax + beta

  #存储中间变量
  cache =  (xhat,gamma,xmu,ivar,sqrtvar,var,eps)

  return out, cache

def batchnorm_backward(dout, cache):

  #解压中间变量
  xhat,gamma,xmu,ivar,sqrtvar,var,eps = cache

  N,D = dout.shape

  #step6
  dbeta = np.sum(dout, axis=0)
  dgammax = dout
  dgamma = np.sum(dgammax*xhat, axis=0)
  dxhat = dgammax * gamma

  #step5
  divar = np.sum(dxhat*xmu, axis=0)
  dxmu1 = dxhat * ivar #注意这是 xmu 的一个支路

  #step4
  dsqrtvar = -1. /(sqrtvar**2) * divar
  dvar = 0.5 * 1. /np.sqrt(var+eps) * dsqrtvar

  #step3
  dsq = 1. /N * np.ones((N,D)) * dvar
  dxmu2 = 2 * xmu * dsq #注意这是 xmu 的第二个支路

  #step2
  dx1 = (dxmu1 + dxmu2) #注意这是 x 的一个支路

  #step1
  dmu = -1 * np.sum(dxmu1+dxmu2, axis=0)
  dx2 = 1. /N * np.ones((N,D)) * dmu #注意这是 x 的第二个支路

  #step0 done!
  dx = dx1 + dx2

  return dx, dgamma, dbeta
