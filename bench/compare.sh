#!/usr/bin/env bash
# Side-by-side measurements on this machine, in one run: qfilters bench (GEMM
# shapes + a whole calibration of a synthetic checkpoint), numpy/OpenBLAS
# float32 GEMM at the same shapes, and PyTorch CPU running the same forward
# pass in float32 and bf16. numpy and PyTorch are what a user installs today
# from the registry (python/requirements.txt: numpy 2.4.6 with its bundled
# OpenBLAS, torch 2.15.0 with MKL and its scaled_dot_product_attention), from
# the environment `make pyenv` creates, or PY=/path/to/python.
# Usage: bench/compare.sh [--avx2] [PRESET] [SEQS] [SEQ_LEN]
#   --avx2: what an AVX2-only CPU (Zen 3, Haswell) runs, on a CPU with more:
#   qfilters with QFILTERS_KERNELS=avx2, numpy's OpenBLAS with
#   OPENBLAS_CORETYPE=${OPENBLAS_AVX2_CORE:-Zen on AMD, Haswell on Intel},
#   PyTorch's MKL with MKL_ENABLE_INSTRUCTIONS=AVX2 and its own kernels with
#   ATEN_CPU_CAPABILITY=avx2; bf16 runs are left out (without AVX512_BF16 they
#   are f32 arithmetic). Set only for those commands.
# The figures of PyTorch 1.13 (Debian's python3-torch) in docs/PERFORMANCE.md
# are history: run this script with PY=/usr/bin/python3 to reproduce them.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PY:-python/.venv/bin/python}
[[ -x $py ]] || { echo "compare.sh: no $py: run make pyenv (or set PY=)" >&2; exit 1; }
core=Haswell; grep -q AuthenticAMD /proc/cpuinfo && core=Zen
qf=() blas=(-u OPENBLAS_CORETYPE) dtypes="f32 bf16" bf16run=1
if [[ ${1:-} == --avx2 ]]; then
  shift
  qf=(QFILTERS_KERNELS=avx2)
  blas=(OPENBLAS_CORETYPE="${OPENBLAS_AVX2_CORE:-$core}" MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2)
  dtypes=f32 bf16run=0
fi
preset=${1:-llama-3.2-1b}; seqs=${2:-4}; seqlen=${3:-2048}
go build -o bin/qfilters ./cmd/qfilters
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bin/qfilters synth --preset "$preset" --out "$work/model" >/dev/null
echo "== $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
  "(family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), model $(grep -m1 '^model' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== qfilters bench"
env "${qf[@]}" bin/qfilters version
env "${qf[@]}" bin/qfilters bench --model "$work/model" --seqs "$seqs" --seq-len "$seqlen" --json
if ((bf16run)); then
  bin/qfilters bench --model "$work/model" --seqs "$seqs" --seq-len "$seqlen" --precision bf16 --skip-gemm --json
fi
echo "== numpy $("$py" -c 'import numpy; print(numpy.__version__)') / OpenBLAS float32 GEMM (${blas[*]})"
env -u OPENBLAS_L2_SIZE "${blas[@]}" OPENBLAS_NUM_THREADS=2 OPENBLAS_VERBOSE=2 "$py" bench/numpy_gemm.py
for dt in $dtypes; do
  echo "== PyTorch $("$py" -c 'import torch; print(torch.__version__)') CPU forward, $dt"
  env -u OPENBLAS_L2_SIZE "${blas[@]}" "$py" bench/pytorch_forward.py "$work/model" --seqs "$seqs" --seq-len "$seqlen" --threads 2 --dtype "$dt"
done
