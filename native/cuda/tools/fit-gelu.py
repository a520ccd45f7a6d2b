#!/usr/bin/env python3
"""Fits the polynomial of dev::gelu (native/cuda/device-math.cuh) and checks it in FP32.

GELU(x) = x·Φ(x) with Φ(-a) = 2^q(a) for a = |x| in [0, END]: q is a degree-DEGREE polynomial
fitted to log2 Φ(-a) at Chebyshev nodes (near-minimax), its coefficients rounded to FP32. The check
evaluates the kernel's FP32 operations (Horner with fused multiply-adds, exact 2^q) on a grid and
on random normals against x·Φ(x) in 40 digits, and prints the worst error as a multiple of |x|.
Needs numpy and mpmath: python3 native/cuda/tools/fit-gelu.py [END DEGREE]
(defaults 5.5 11: dev::gelu; 5 6: dev::gelu_for_half, whose results are rounded to FP16).
"""
import sys

import mpmath as mp
import numpy as np

END, DEGREE = (float(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (5.5, 11)
mp.mp.dps = 40


def log2_phi_neg(a):
    return float(mp.log(mp.ncdf(-a), 2))


def fit():
    nodes = np.cos(np.pi * (np.arange(3000) + 0.5) / 3000) * END / 2 + END / 2
    cheb = np.polynomial.chebyshev.Chebyshev.fit(nodes, [log2_phi_neg(a) for a in nodes], DEGREE,
                                                 domain=[0, END])
    power = cheb.convert(kind=np.polynomial.Polynomial, domain=[0, END], window=[0, END])
    return power.coef.astype(np.float32)


def gelu_fp32(x, coef):
    f32 = np.float32
    a = np.minimum(np.abs(x), f32(END))
    q = np.full_like(a, coef[-1])
    for c in coef[-2::-1]:  # fmaf: one rounding of the exact q·a + c
        q = (q.astype(np.float64) * a + np.float64(c)).astype(f32)
    e = np.exp2(q.astype(np.float64)).astype(f32)
    e = np.where(np.abs(x) < f32(END), e, f32(0))
    phi = np.where(x > 0, (f32(1) - e).astype(f32), e)
    return (x * phi).astype(f32)


def main():
    coef = fit()
    rng = np.random.default_rng(0)
    xs = np.concatenate([np.linspace(-8, 8, 40001), rng.normal(0, 3, 20000)]).astype(np.float32)
    exact = np.array([float(x * mp.ncdf(x)) for x in xs.astype(np.float64)])
    worst = np.max(np.abs(gelu_fp32(xs, coef) - exact) / np.maximum(np.abs(xs), 1e-30))
    print(f"degree {DEGREE} on [0, {END}]: worst |error| / |x| = {worst:.2e}")
    for i, c in reversed(list(enumerate(coef))):
        mantissa, exponent = float(c).hex().split("p")
        print(f"  c{i} = {mantissa.rstrip('0').rstrip('.')}p{exponent}f  // {float(c):.9g}")


if __name__ == "__main__":
    main()
