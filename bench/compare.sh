#!/usr/bin/env bash
# Side-by-side measurements on this machine, in one run: qfilters bench (GEMM
# shapes + a whole calibration of a synthetic checkpoint), numpy/OpenBLAS
# float32 GEMM at the same shapes, and PyTorch CPU running the same forward
# pass in float32 and bf16. Needs: apt-get install python3-numpy
# libopenblas0-pthread python3-torch.
# Usage: bench/compare.sh [PRESET] [SEQS] [SEQ_LEN]
set -euo pipefail
preset=${1:-llama-3.2-1b}; seqs=${2:-4}; seqlen=${3:-2048}
cd "$(dirname "$0")/.."
go build -o bin/qfilters ./cmd/qfilters
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bin/qfilters synth --preset "$preset" --out "$work/model" >/dev/null
echo "== qfilters bench ($(nproc) cores)"
bin/qfilters bench --model "$work/model" --seqs "$seqs" --seq-len "$seqlen" --json
bin/qfilters bench --model "$work/model" --seqs "$seqs" --seq-len "$seqlen" --precision bf16 --skip-gemm --json
echo "== numpy/OpenBLAS float32 GEMM"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_gemm.py
for dt in f32 bf16; do
  echo "== PyTorch CPU forward, $dt"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/pytorch_forward.py "$work/model" --seqs "$seqs" --seq-len "$seqlen" --threads 2 --dtype $dt
done
