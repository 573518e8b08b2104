#!/usr/bin/env python3
"""numpy/OpenBLAS float32 GEMM at the shapes `qfilters bench` measures, for a
side-by-side ratio. Run with OpenBLAS's own kernel choice:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_gemm.py
(Debian: apt-get install python3-numpy libopenblas0-pthread)"""
import json, time
import numpy as np

SHAPES = [(2048, 2048, 2048), (2048, 2048, 8192), (2048, 4096, 4096), (2048, 4096, 14336), (512, 4096, 4096)]
out = []
for m, k, n in SHAPES:
    a = np.random.standard_normal((m, k)).astype(np.float32)
    w = (np.random.standard_normal((n, k)) * 0.02).astype(np.float32)
    a @ w.T
    times = []
    while len(times) < 3 or (sum(times) < 1 and len(times) < 20):
        t = time.perf_counter()
        a @ w.T
        times.append(time.perf_counter() - t)
    times.sort()
    out.append({"M": m, "K": k, "N": n, "gflops": 2 * m * n * k / times[len(times) // 2] / 1e9})
print(json.dumps(out))
