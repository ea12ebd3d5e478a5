# Fits the exp2 polynomials of native/core/simd/exp_poly.h: 2^f ~ 1 + f*q(f), p = 1 + f q of degree
# 5 by default (q of degree 4), minimizing the max relative error (Lawson's iteratively reweighted
# least squares), on [-1/2, 1/2] (f = d - round(d): scalar and AVX2) and on [0, 1) (f = d - floor(d):
# AVX-512's vreduceps + vscalefps). p(0) = 1 exactly, so a point-mass row gets log-prob and entropy 0.
#   python3 scripts/fit-exp2.py [degree of p]     (4 and 3 are the cheaper ones of bench/RESULTS.md)
import sys

import numpy as np


def fit(lo, hi, degree):
    x = lo + (hi - lo) * (np.cos(np.pi * (np.arange(4000) + 0.5) / 4000) + 1) / 2
    y = 2.0 ** x
    A = np.vander(x, degree, increasing=True) * x[:, None] / y[:, None]  # columns f^1..f^degree, relative
    b = (y - 1) / y
    w = np.ones_like(x) / len(x)
    for _ in range(300):
        c, *_ = np.linalg.lstsq(A * np.sqrt(w)[:, None], np.sqrt(w) * b, rcond=None)
        err = A @ c - b
        w = w * np.abs(err) ** 0.5 + 1e-30
        w /= w.sum()
    c32 = c.astype(np.float32)
    xs = np.linspace(lo, hi, 400001).astype(np.float32).astype(np.float64)
    q = np.zeros_like(xs)
    for k in reversed(range(degree)):
        q = q * xs + float(c32[k])
    p = 1 + xs * q
    print(f"[{lo}, {hi}] coefficients of q (f^0..f^{degree - 1}):", [repr(float(v)) for v in c32])
    print("max relative error:", np.max(np.abs(p / 2.0 ** xs - 1)))


degree = int(sys.argv[1]) if len(sys.argv) > 1 else 5
fit(-0.5, 0.5, degree)
fit(0.0, 1.0, degree)
