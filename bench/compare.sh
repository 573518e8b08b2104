#!/usr/bin/env bash
# Side-by-side measurements on this machine, in one run: qfilters bench (GEMM
# shapes + a whole calibration of a synthetic checkpoint), numpy/OpenBLAS
# float32 GEMM at the same shapes, and PyTorch CPU running the same forward
# pass in float32 and bf16. Needs: apt-get install python3-numpy
# libopenblas0-pthread python3-torch.
# Usage: bench/compare.sh [--avx2] [PRESET] [SEQS] [SEQ_LEN]
#   --avx2: what an AVX2-only CPU (Zen 3, Haswell) runs, on a CPU with more:
#   qfilters with QFILTERS_KERNELS=avx2, OpenBLAS (numpy and PyTorch) with
#   OPENBLAS_CORETYPE=${OPENBLAS_AVX2_CORE:-Zen} (its AVX2 Zen kernels) and
#   PyTorch's own kernels with ATEN_CPU_CAPABILITY=avx2; bf16 runs are left out
#   (without AVX512_BF16 they are f32 arithmetic). Set only for those commands.
set -euo pipefail
qf=() blas=(-u OPENBLAS_CORETYPE) dtypes="f32 bf16" bf16run=1
if [[ ${1:-} == --avx2 ]]; then
  shift
  qf=(QFILTERS_KERNELS=avx2)
  blas=(OPENBLAS_CORETYPE="${OPENBLAS_AVX2_CORE:-Zen}" ATEN_CPU_CAPABILITY=avx2)
  dtypes=f32 bf16run=0
fi
preset=${1:-llama-3.2-1b}; seqs=${2:-4}; seqlen=${3:-2048}
cd "$(dirname "$0")/.."
go build -o bin/qfilters ./cmd/qfilters
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bin/qfilters synth --preset "$preset" --out "$work/model" >/dev/null
echo "== qfilters bench ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs))"
env "${qf[@]}" bin/qfilters version
env "${qf[@]}" bin/qfilters bench --model "$work/model" --seqs "$seqs" --seq-len "$seqlen" --json
if ((bf16run)); then
  bin/qfilters bench --model "$work/model" --seqs "$seqs" --seq-len "$seqlen" --precision bf16 --skip-gemm --json
fi
echo "== numpy/OpenBLAS float32 GEMM (${blas[*]})"
env -u OPENBLAS_L2_SIZE "${blas[@]}" OPENBLAS_NUM_THREADS=2 OPENBLAS_VERBOSE=2 /usr/bin/python3 bench/numpy_gemm.py
for dt in $dtypes; do
  echo "== PyTorch CPU forward, $dt"
  env -u OPENBLAS_L2_SIZE "${blas[@]}" /usr/bin/python3 bench/pytorch_forward.py "$work/model" --seqs "$seqs" --seq-len "$seqlen" --threads 2 --dtype "$dt"
done
