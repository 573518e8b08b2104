# qfilters: the two set-up commands are `make demo` and `make test`.
GO ?= go
BIN := bin/qfilters

.PHONY: build demo test fuzz bench clean slurm-test figures ggml-check ggml-grids pyenv goldens goldens-check kvpress-test

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/qfilters

# The main job on the embedded default: stories260K and its sampled corpus.
demo: build
	$(BIN) calibrate --out out/stories260K_qfilt --force
	$(BIN) inspect out/stories260K_qfilt

# The test command (.ci/run calls exactly this). Goldens are in testdata/;
# tests of third-party tokenizers read ../shared and skip without it, and the
# last line says how many did.
test:
	test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) build -o bin/testrun ./internal/testrun
	GO="$(GO)" bin/testrun ./...

# Each fuzz target for a bounded time (FUZZTIME=10s by default).
FUZZTIME ?= 10s
fuzz:
	./.ci/fuzz $(FUZZTIME)

# The Slurm recipe of docs/SCALE.md on a real single-node Slurm started for the test
# (as root on Debian; it installs slurm-wlm and munge, and leaves nothing behind).
slurm-test:
	./deploy/slurm/test.sh

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./kernels/
	$(BIN) bench

clean:
	rm -rf bin out

# The figures of the embedded model in the docs (docs/figures).
figures: build
	$(BIN) calibrate --out out/stories260K_qfilt --force --quiet
	$(BIN) calibrate --out out/stories260K_seed1 --seed 1 --force --quiet
	$(BIN) inspect out/stories260K_qfilt --png docs/figures/inspect-stories260K.png > /dev/null
	$(BIN) diff out/stories260K_qfilt out/stories260K_seed1 --min-cos 0.9999 --png docs/figures/diff-stories260K.png > /dev/null || true
	$(BIN) eval --filters out/stories260K_qfilt --png docs/figures/eval-stories260K.png > /dev/null

# Our dequantization of every GGUF type against ggml's own (llama.cpp's
# prebuilt library from npm, through a small C program; see .ci/ggml-check).
ggml-check:
	./.ci/ggml-check

# gguf/iqgrids.go from the ggml-common.h that ggml-check installs.
ggml-grids:
	GGML_ONLY_INSTALL=1 ./.ci/ggml-check
	$(GO) run ./internal/gengrids -header .cache/ggml/llama.cpp-3.22.1/ggml/src/ggml-common.h -out gguf/iqgrids.go \
		-source "llama.cpp $$(git -C .cache/ggml/llama.cpp-3.22.1 rev-parse HEAD), as bundled in node-llama-cpp 3.22.1"

# The Python side (python/, docs in python/README.md): a pinned virtual
# environment, the transformers goldens of testdata/ and the real kvpress on
# what qfilters writes. PY=/path/to/python uses another environment as is.
VENV ?= python/.venv
PY ?= $(VENV)/bin/python
pydeps = $(if $(filter file,$(origin PY)),pyenv)

pyenv:
	VENV=$(VENV) python/pyenv.sh

# Regenerate every golden in testdata/ (python/goldens/*.py).
goldens: $(pydeps)
	$(PY) python/goldens.py write

# Regenerate into a temporary directory and compare with testdata/.
goldens-check: $(pydeps)
	$(PY) python/goldens.py check

# The real kvpress (CPU, offline) on what qfilters calibrate and stats write:
# the README's kvpress blocks run as they are (python/kvpress_test.py).
kvpress-test: build $(pydeps)
	HF_HUB_OFFLINE=1 $(PY) python/kvpress_test.py --qfilters $(BIN)
