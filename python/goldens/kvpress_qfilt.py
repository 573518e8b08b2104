"""Golden recipe: testdata/kvpress_qfilt/ (what kvpress itself writes).

Run: python python/goldens/kvpress_qfilt.py --out ROOT (writes ROOT/kvpress_qfilt/).

kvpress's QFilters module (a huggingface_hub PyTorchModelHubMixin) with a
[3, 2, 16] q_filters tensor, saved by its own save_pretrained: model.safetensors,
config.json and the mixin's README.md. qfilters' export must write the same
bytes for the same tensor (export/export_test.go). The values are drawn by
numpy's PCG64 (seed 7), the same bits on every machine.
"""

import argparse
import os
import shutil

import numpy as np
import torch
from kvpress.presses.qfilter_press import QFilters

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    out = os.path.join(p.parse_args().out, "kvpress_qfilt")
    if os.path.exists(out):
        shutil.rmtree(out)
    q = QFilters(num_layers=3, num_kv_heads=2, kv_head_dim=16)
    values = np.random.default_rng(7).standard_normal((3, 2, 16)).astype(np.float32)
    with torch.no_grad():
        q.q_filters.copy_(torch.from_numpy(values))
    q.save_pretrained(out)
    print(f"kvpress_qfilt: {sorted(os.listdir(out))}")
