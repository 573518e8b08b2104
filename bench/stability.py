"""Analysis for docs/STABILITY.md (run by bench/stability.sh).

  stability.py table DEFAULT DIR...   cosine of each DIR's q_filters to DEFAULT's
  stability.py repro DIR...           stability vs reproducibility across runs

Needs numpy and safetensors only.
"""
import itertools
import json
import sys

import numpy as np
from safetensors.numpy import load_file


def load(d):
    q = load_file(f"{d}/model.safetensors")["q_filters"]
    x = load_file(f"{d}/qfilters.safetensors")
    return q, x


def cos(a, b):
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


def ranks(v):
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(len(v))
    for val in np.unique(v):  # ties: average rank
        m = v == val
        r[m] = r[m].mean()
    return r


def spearman(a, b):
    ra, rb = ranks(np.asarray(a)), ranks(np.asarray(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def table(default, dirs):
    q0, _ = load(default)
    for d in dirs:
        q, x = load(d)
        c = cos(q, q0)
        prov = json.load(open(f"{d}/qfilters.json"))
        print(f"{d}\tseqs {prov['num_seqs']}\tkv cos to default: mean {c.mean():.5f} min {c.min():.5f}"
              f"\tmin stability kv {x['stability_kv'].min():.5f} query {x['stability'].min():.5f}")


def repro(dirs):
    runs = [load(d) for d in dirs]
    for level, fkey, skey in (("kv", None, "stability_kv"), ("query", "filters_per_qhead", "stability")):
        filt = [r[0] if fkey is None else r[1][fkey] for r in runs]
        stab = np.mean([r[1][skey] for r in runs], axis=0).ravel()
        pair = np.mean([1 - cos(a, b) for a, b in itertools.combinations(filt, 2)], axis=0).ravel()
        # Predicted mean 1 - cos between two runs: ((1-s_a)+(1-s_b))/4 averaged.
        pred = (1 - stab) / 2
        within = np.mean([np.mean(1 - cos(a, b) <= (1 - sa) + (1 - sb))
                          for (a, sa), (b, sb) in itertools.combinations(zip(filt, [r[1][skey] for r in runs]), 2)])
        rho = spearman(1 - stab, pair)
        rho1 = spearman(1 - runs[0][1][skey].ravel(), pair)
        sv = [r[1]["singular_values"] for r in runs]
        energy = np.mean([v[..., 0] ** 2 / (v ** 2).sum(-1) for v in sv], axis=0)
        if level == "kv":  # the mean over each kv head's query group
            energy = energy.reshape(energy.shape[0], runs[0][0].shape[1], -1).mean(-1)
        rho_e = spearman(1 - energy.ravel(), pair)
        print(f"{level}: {len(stab)} heads, {len(runs)} runs: Spearman(1 - stability, mean pairwise 1 - cos) = {rho:.3f}; "
              f"mean 1 - cos observed {pair.mean():.2e}, predicted (1 - s)/2 {pred.mean():.2e}; "
              f"pairs x heads within the noise rule {within:.3f}")
        print(f"  Spearman with one run's stability {rho1:.3f}; with 1 - energy share instead {rho_e:.3f}")
        worst = np.argsort(stab)[:5]
        print(f"  5 least stable heads (index: stability, pairwise 1-cos): " +
              ", ".join(f"{i}: {stab[i]:.5f}, {pair[i]:.2e}" for i in worst))


if __name__ == "__main__":
    if sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3:])
    else:
        repro(sys.argv[2:])
