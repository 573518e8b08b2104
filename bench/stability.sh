#!/bin/sh
# Figures of docs/STABILITY.md on the embedded stories260K model:
#   sh bench/stability.sh QFILTERS_BINARY WORKDIR CORPUS [PYTHON]
# CORPUS: the embedded corpus as a file (shared/corpora/tinystories-sampled/
# train.jsonl, 96 stories); PYTHON needs numpy and safetensors.
set -eu
QF=$(realpath "$1"); W=$2; CORPUS=$(realpath "$3"); PY=${4:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"; cd "$W"
rm -rf def u* seed* part* corpus
cal() { out=$1; shift; "$QF" calibrate --quiet --out "$out" "$@"; }
recall() { "$QF" eval --filters "$1" --skip-docs 80 --json --quiet --cache-size -1 |
	"$PY" -c 'import json,sys; r=json.load(sys.stdin)["context_recall"]; print(" ".join("x%d %.4f" % (x, v) for x, v in zip(r["ratios"], r["methods"]["qfilters"])))'; }

echo "== --until-stable vs the default (20 sequences, samples 3000); eval --context on the last 16 stories"
cal def
echo "def: $(recall def)"
for spec in "u0999 0.999 20 3000" "u099 0.99 20 3000" "u0995 0.995 20 3000" "u0999n80 0.999 80 3000" "u0995n80all 0.995 80 all" "u0999n80all 0.999 80 all"; do
	set -- $spec
	cal "$1" --until-stable "$2" --num-seqs "$3" --samples "$4" > "$1.txt" 2>&1
	echo "$1: $(grep 'until-stable' "$1.txt" | tail -1)"
	echo "$1: $(recall "$1")"
done
"$PY" "$HERE/stability.py" table def u0999 u099 u0995 u0999n80 u0995n80all u0999n80all

echo "== reproducibility across seeds (the same 20 sequences, other SVD samples)"
for s in 1 2 3 4 5 6 7 8; do cal seed$s --seed "$s"; done
"$PY" "$HERE/stability.py" repro seed1 seed2 seed3 seed4 seed5 seed6 seed7 seed8

echo "== reproducibility across disjoint corpora (stories 0-19, 20-39, 40-59, 60-79)"
mkdir corpus
for i in 0 1 2 3; do
	sed -n "$((i * 20 + 1)),$((i * 20 + 20))p" "$CORPUS" > corpus/part$i.jsonl
	cal part$i --corpus corpus/part$i.jsonl
done
"$PY" "$HERE/stability.py" repro part0 part1 part2 part3
