#!/usr/bin/env python3
"""numpy/OpenBLAS float32 GEMM at the shapes `qfilters bench` measures, for a
side-by-side ratio. Run with OpenBLAS's own kernel choice:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_gemm.py
(Debian: apt-get install python3-numpy libopenblas0-pthread)"""
import json, os, sys, time
import numpy as np

# Optional "M,K,N" arguments replace the standard shapes.
SHAPES = [tuple(int(x) for x in a.split(",")) for a in sys.argv[1:]] or [(2048, 2048, 2048), (2048, 2048, 8192), (2048, 4096, 4096), (2048, 4096, 14336), (512, 4096, 4096)]
out = []
for m, k, n in SHAPES:
    a = np.random.standard_normal((m, k)).astype(np.float32)
    w = (np.random.standard_normal((n, k)) * 0.02).astype(np.float32)
    a @ w.T
    times, cpus = [], []
    while len(times) < 3 or (sum(times) < 1 and len(times) < 20):
        t, c = time.perf_counter(), time.process_time()
        a @ w.T
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    times.sort()
    cpus.sort()
    # gflops_cpu: per CPU-second x threads (what the wall figure would be with
    # every core to ourselves), comparable to the kernels' GFLOP/s-cpu when
    # other jobs share the machine.
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))
    flop = 2 * m * n * k
    out.append({"M": m, "K": k, "N": n, "gflops": flop / times[len(times) // 2] / 1e9,
                "gflops_cpu": flop / cpus[len(cpus) // 2] / 1e9 * threads})
print(json.dumps(out))
