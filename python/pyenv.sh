#!/usr/bin/env bash
# Creates the virtual environment of the Python side (default python/.venv)
# from python/requirements.txt, or reuses it as is when the pins are unchanged:
# the SHA-256 of requirements.txt is kept in the environment and compared.
# VENV=DIR puts it elsewhere; PYTHON3=... is the interpreter it is made from
# (Python 3.11 or newer). qfilters itself never needs any of this.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-python/.venv}
want=$(cat python/requirements.txt python/requirements-overlay.txt | sha256sum | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $venv/.requirements.sha256 && $(cat "$venv/.requirements.sha256") == "$want" ]]; then
  echo "pyenv: $venv matches python/requirements.txt (sha256 ${want:0:12}), reused"
  exit 0
fi
start=$SECONDS
rm -rf "$venv"
trap 'rm -rf "$venv"' ERR   # a failed install leaves nothing that looks ready
"${PYTHON3:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --no-input -q --disable-pip-version-check -r python/requirements.txt
# The overlay: a newer transformers for recipes that need one (Gemma 4).
"$venv/bin/python" -m pip install --no-input -q --disable-pip-version-check --no-deps \
  --target "$venv/overlay" -r python/requirements-overlay.txt
echo "$want" > "$venv/.requirements.sha256"
echo "pyenv: $venv created from python/requirements.txt in $((SECONDS - start)) s"
