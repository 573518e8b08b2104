// Package export reads and writes Q-Filters directories.
//
// A directory written by this package is loadable by kvpress
// (QFilters.from_pretrained): model.safetensors holds the single F32 tensor
// "q_filters" [layers, kv_heads, head_dim] and config.json its three sizes,
// byte for byte as the Python library (PyTorchModelHubMixin) writes them.
// README.md is a model card. Two extra files carry what only this toolchain
// computes, and are absent from reference directories:
//
//	qfilters.safetensors  filters_per_qhead [L, H, D], singular_values [L, H, D],
//	                      sign_agreement [L, H], stability [L, H],
//	                      stability_kv [L, KV] (F32; each optional)
//	qfilters.json         provenance (indented JSON)
package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/qfilters/qfilters/safetensors"
)

// File names inside a filter directory.
const (
	ModelFile      = "model.safetensors"
	ConfigFile     = "config.json"
	ReadmeFile     = "README.md"
	ExtraFile      = "qfilters.safetensors"
	ProvenanceFile = "qfilters.json"
)

// Tensor names.
const (
	QFiltersTensor       = "q_filters"
	PerQueryHeadTensor   = "filters_per_qhead"
	SingularValuesTensor = "singular_values"
	SignAgreementTensor  = "sign_agreement"
	StabilityTensor      = "stability"
	StabilityKVTensor    = "stability_kv"
)

// Filters is what calibration produces. Tensors are flat, row-major.
type Filters struct {
	Layers, KVHeads, Heads, HeadDim int
	// QFilters is [Layers][KVHeads][HeadDim]: what kvpress loads.
	QFilters []float32
	// Optional, nil when the directory came from the reference library
	// (then Heads is 0 as well):
	//
	// PerQueryHead is [Layers][Heads][HeadDim]: the signed unit filter of each
	// query head before GQA averaging.
	PerQueryHead []float32
	// SingularValues is [Layers][Heads][HeadDim]: descending, zero-padded if
	// there were fewer samples than HeadDim.
	SingularValues []float32
	// SignAgreement is [Layers][Heads]: the fraction of samples whose
	// projection on the kept direction (-filter) is > 0.
	SignAgreement []float32
	// NoCache lists the layers that write no KV cache (the linear-attention
	// layers of a hybrid model), increasing; nil when every layer has one.
	// Their rows in every tensor are zeros and never read: the tensors keep
	// one row per decoder layer, so that q_filters[layer_idx] is the filter
	// of layer layer_idx. config.json says which layers these are
	// (layer_caches, see layers.go); a directory without the key has a
	// cache on every layer, as every reference directory does.
	NoCache []int
	// LayerKVHeads and LayerHeadDim are each layer's shape when layers
	// differ (Gemma 4's global layers), nil otherwise: KVHeads and HeadDim
	// are then the largest and a layer's rows are zeros beyond its own.
	// KVOwner[l] is the layer whose cache layer l reads (itself unless it
	// shares one), nil without shared caches: a reader's rows are a copy of
	// its owner's, the filter of the one cache they both attend over.
	LayerKVHeads, LayerHeadDim []int
	KVOwner                    []int
	// Stability is [Layers][Heads]: the split-half stability of each query
	// head's filter, the cosine of the filters of the even and the odd
	// calibration sequences (docs/STABILITY.md). StabilityKV is
	// [Layers][KVHeads], the same for the GQA-averaged q_filters.
	Stability, StabilityKV []float32
	Provenance             *Provenance
}

// Provenance says how filters were produced. It is stored in qfilters.json.
type Provenance struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	Model   string `json:"model"`
	// HubRevision and HubCommit say which snapshot of a Hugging Face id
	// was read: the revision asked for and the commit it resolved to.
	HubRevision  string `json:"hub_revision,omitempty"`
	HubCommit    string `json:"hub_commit,omitempty"`
	ModelType    string `json:"model_type"`
	ConfigSHA256 string `json:"config_sha256"`
	// WeightsSHA256 identifies the weights by content (the tensor index and
	// sampled blocks of every weight file; model.WeightsIdentity).
	WeightsSHA256 string `json:"weights_sha256,omitempty"`
	// TokenizerSHA256 is the tokenizer files' hash, when text was tokenized.
	TokenizerSHA256 string `json:"tokenizer_sha256,omitempty"`
	Corpus          string `json:"corpus"`
	// CorpusSHA256 is the hash of the documents calibration read: the first
	// CorpusDocs documents of the corpus (corpus.Identity).
	CorpusSHA256 string `json:"corpus_sha256"`
	CorpusDocs   int    `json:"corpus_docs,omitempty"`
	// CorpusFiles names the corpus files read, with their sizes.
	CorpusFiles string `json:"corpus_files,omitempty"`
	TextField   string `json:"text_field"`
	SeqLen      int    `json:"seq_len"`
	NumSeqs     int    `json:"num_seqs"`
	Tokens      int    `json:"tokens"`
	// Samples is the number of SVD samples per layer, "3000", or "all".
	Samples string `json:"samples"`
	Seed    int64  `json:"seed"`
	// Sign is "vote" (reference majority vote) or "mean".
	Sign string `json:"sign"`
	// Precision is "f32" or "bf16".
	Precision string `json:"precision"`
	// Kernels names the kernel path(s) that ran the forward pass
	// (qfilters version): results are bit for bit alike on the same path.
	Kernels string            `json:"kernels,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// GroupSize returns the number of query heads per kv head (0 when Heads is unknown).
func (f *Filters) GroupSize() int {
	if f.Heads == 0 || f.KVHeads == 0 {
		return 0
	}
	return f.Heads / f.KVHeads
}

// Filter returns the q_filters vector of layer l, kv head h (a view, not a copy).
func (f *Filters) Filter(l, h int) []float32 {
	i := (l*f.KVHeads + h) * f.HeadDim
	return f.QFilters[i : i+f.HeadDim]
}

// QueryFilter returns the per-query-head filter of layer l, query head h, or nil.
func (f *Filters) QueryFilter(l, h int) []float32 {
	if f.PerQueryHead == nil {
		return nil
	}
	i := (l*f.Heads + h) * f.HeadDim
	return f.PerQueryHead[i : i+f.HeadDim]
}

// Singular returns the singular values of layer l, query head h, or nil.
func (f *Filters) Singular(l, h int) []float32 {
	if f.SingularValues == nil {
		return nil
	}
	i := (l*f.Heads + h) * f.HeadDim
	return f.SingularValues[i : i+f.HeadDim]
}

// Validate checks sizes, tensor lengths and that every value is finite.
func (f *Filters) Validate() error {
	if f == nil {
		return errors.New("no filters")
	}
	if f.Layers <= 0 || f.KVHeads <= 0 || f.HeadDim <= 0 {
		return fmt.Errorf("invalid sizes layers=%d kv_heads=%d head_dim=%d (all must be > 0)", f.Layers, f.KVHeads, f.HeadDim)
	}
	if f.Heads < 0 {
		return fmt.Errorf("invalid heads=%d", f.Heads)
	}
	if f.Heads > 0 && f.Heads%f.KVHeads != 0 {
		return fmt.Errorf("heads=%d is not a multiple of kv_heads=%d", f.Heads, f.KVHeads)
	}
	if err := checkTensor(QFiltersTensor, f.QFilters, f.Layers*f.KVHeads*f.HeadDim, "layers*kv_heads*head_dim"); err != nil {
		return err
	}
	if f.Heads == 0 && (f.PerQueryHead != nil || f.SingularValues != nil || f.SignAgreement != nil || f.Stability != nil) {
		return errors.New("per-query-head tensors given but heads=0")
	}
	if f.PerQueryHead != nil {
		if err := checkTensor(PerQueryHeadTensor, f.PerQueryHead, f.Layers*f.Heads*f.HeadDim, "layers*heads*head_dim"); err != nil {
			return err
		}
	}
	if f.SingularValues != nil {
		if err := checkTensor(SingularValuesTensor, f.SingularValues, f.Layers*f.Heads*f.HeadDim, "layers*heads*head_dim"); err != nil {
			return err
		}
		for i, v := range f.SingularValues {
			if v < 0 {
				return fmt.Errorf("%s: negative value %g at layer %d head %d", SingularValuesTensor, v, i/(f.Heads*f.HeadDim), i/f.HeadDim%f.Heads)
			}
		}
	}
	if f.SignAgreement != nil {
		if err := checkTensor(SignAgreementTensor, f.SignAgreement, f.Layers*f.Heads, "layers*heads"); err != nil {
			return err
		}
		for i, v := range f.SignAgreement {
			if v < 0 || v > 1 {
				return fmt.Errorf("%s: value %g at layer %d head %d is outside [0, 1]", SignAgreementTensor, v, i/f.Heads, i%f.Heads)
			}
		}
	}
	if err := f.validateNoCache(); err != nil {
		return err
	}
	if (f.Stability == nil) != (f.StabilityKV == nil) {
		return fmt.Errorf("%s and %s come together", StabilityTensor, StabilityKVTensor)
	}
	if f.Stability != nil {
		if err := checkTensor(StabilityTensor, f.Stability, f.Layers*f.Heads, "layers*heads"); err != nil {
			return err
		}
		if err := checkTensor(StabilityKVTensor, f.StabilityKV, f.Layers*f.KVHeads, "layers*kv_heads"); err != nil {
			return err
		}
		for _, v := range append(append([]float32(nil), f.Stability...), f.StabilityKV...) {
			if v < -1 || v > 1 {
				return fmt.Errorf("stability value %g is outside [-1, 1]", v)
			}
		}
	}
	return nil
}

func checkTensor(name string, v []float32, want int, what string) error {
	if len(v) != want {
		return fmt.Errorf("%s has %d values, want %s = %d", name, len(v), what, want)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%s: non-finite value %g at index %d", name, x, i)
		}
	}
	return nil
}

// config is config.json, as PyTorchModelHubMixin writes it (keys sorted,
// two-space indent, no trailing newline).
type config struct {
	KVHeadDim *int `json:"kv_head_dim"`
	// LayerCaches, only for models whose layers do not all have a cache:
	// per layer, "own" or "none" (layers.go).
	LayerCaches   []string `json:"layer_caches,omitempty"`
	LayerHeadDims []int    `json:"layer_head_dims,omitempty"`
	LayerKVHeads  []int    `json:"layer_kv_heads,omitempty"`
	NumKVHeads    *int     `json:"num_kv_heads"`
	NumLayers     *int     `json:"num_layers"`
}

func encodeConfig(f *Filters) []byte {
	d, h, l := f.HeadDim, f.KVHeads, f.Layers
	b, err := json.MarshalIndent(config{KVHeadDim: &d, LayerCaches: f.layerCaches(), LayerHeadDims: f.LayerHeadDim,
		LayerKVHeads: f.LayerKVHeads, NumKVHeads: &h, NumLayers: &l}, "", "  ")
	if err != nil {
		panic(err) // cannot happen: three ints
	}
	return b
}

// Read loads a filter directory: ours, or a reference one (only config.json
// and model.safetensors; then Heads is 0 and the optional fields are nil).
// Its errors name the directory or file, for the user who gave it.
func Read(dir string) (*Filters, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("filter directory %s: "+format, append([]any{dir}, a...)...)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, bad("%w", pathErr(err))
	} else if !st.IsDir() {
		return nil, bad("not a directory")
	}
	cfgPath := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bad("no %s (not a filter directory)", ConfigFile)
	} else if err != nil {
		return nil, bad("%s: %w", ConfigFile, pathErr(err))
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, bad("%s: invalid JSON: %w", ConfigFile, err)
	}
	if cfg.KVHeadDim == nil || cfg.NumKVHeads == nil || cfg.NumLayers == nil {
		return nil, bad("%s lacks kv_head_dim, num_kv_heads or num_layers (not a filter directory)", ConfigFile)
	}
	f := &Filters{Layers: *cfg.NumLayers, KVHeads: *cfg.NumKVHeads, HeadDim: *cfg.KVHeadDim}
	if f.Layers <= 0 || f.KVHeads <= 0 || f.HeadDim <= 0 {
		return nil, bad("%s: sizes must be > 0 (num_layers=%d, num_kv_heads=%d, kv_head_dim=%d)", ConfigFile, f.Layers, f.KVHeads, f.HeadDim)
	}
	if f.NoCache, f.KVOwner, err = parseLayerCaches(cfg.LayerCaches, f.Layers); err != nil {
		return nil, bad("%s: %w", ConfigFile, err)
	}
	f.LayerKVHeads, f.LayerHeadDim = cfg.LayerKVHeads, cfg.LayerHeadDims

	modelPath := filepath.Join(dir, ModelFile)
	if _, err := os.Stat(modelPath); errors.Is(err, fs.ErrNotExist) {
		return nil, bad("no %s", ModelFile)
	}
	ck, err := safetensors.Open(modelPath)
	if err != nil {
		return nil, err // names the file
	}
	defer ck.Close()
	if !ck.Has(QFiltersTensor) {
		return nil, fmt.Errorf("%s: no tensor %q", modelPath, QFiltersTensor)
	}
	t, err := ck.Tensor(QFiltersTensor)
	if err != nil {
		return nil, err
	}
	want := []int{f.Layers, f.KVHeads, f.HeadDim}
	if !slices.Equal(t.Shape, want) {
		return nil, bad("%s says num_layers=%d, num_kv_heads=%d, kv_head_dim=%d but %s %s has shape %v",
			ConfigFile, f.Layers, f.KVHeads, f.HeadDim, ModelFile, QFiltersTensor, t.Shape)
	}
	if f.QFilters, err = t.Float32(); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", modelPath, QFiltersTensor, err)
	}

	if err := readExtra(dir, f); err != nil {
		return nil, err
	}
	if err := readProvenance(dir, f); err != nil {
		return nil, err
	}
	// What Read returns is always writable: finite, consistent values.
	if err := f.Validate(); err != nil {
		return nil, bad("%w", err)
	}
	return f, nil
}

// pathErr drops the operation and path of a *fs.PathError, which the
// message names already.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readExtra(dir string, f *Filters) error {
	path := filepath.Join(dir, ExtraFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	ck, err := safetensors.Open(path)
	if err != nil {
		return err // names the file
	}
	defer ck.Close()
	if s := ck.Metadata()["num_heads"]; s != "" {
		if f.Heads, err = strconv.Atoi(s); err != nil || f.Heads <= 0 {
			return fmt.Errorf("%s: bad num_heads metadata %q", path, s)
		}
	}
	load := func(name string, dst *[]float32, rank int) error {
		if !ck.Has(name) {
			return nil
		}
		t, err := ck.Tensor(name)
		if err != nil {
			return err
		}
		if len(t.Shape) != rank || t.Shape[0] != f.Layers {
			return fmt.Errorf("%s: %s has shape %v, want rank %d with %d layers", path, name, t.Shape, rank, f.Layers)
		}
		if f.Heads == 0 {
			f.Heads = t.Shape[1]
		}
		want := []int{f.Layers, f.Heads, f.HeadDim}[:rank]
		if !slices.Equal(t.Shape, want) {
			return fmt.Errorf("%s: %s has shape %v, want %v", path, name, t.Shape, want)
		}
		v, err := t.Float32()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, name, err)
		}
		*dst = v
		return nil
	}
	if err := load(PerQueryHeadTensor, &f.PerQueryHead, 3); err != nil {
		return err
	}
	if err := load(SingularValuesTensor, &f.SingularValues, 3); err != nil {
		return err
	}
	if err := load(SignAgreementTensor, &f.SignAgreement, 2); err != nil {
		return err
	}
	if err := load(StabilityTensor, &f.Stability, 2); err != nil {
		return err
	}
	if ck.Has(StabilityKVTensor) {
		t, err := ck.Tensor(StabilityKVTensor)
		if err != nil {
			return err
		}
		if want := []int{f.Layers, f.KVHeads}; !slices.Equal(t.Shape, want) {
			return fmt.Errorf("%s: %s has shape %v, want %v", path, StabilityKVTensor, t.Shape, want)
		}
		if f.StabilityKV, err = t.Float32(); err != nil {
			return fmt.Errorf("%s: %s: %w", path, StabilityKVTensor, err)
		}
	}
	if f.Heads > 0 && f.Heads%f.KVHeads != 0 {
		return fmt.Errorf("%s: %d query heads is not a multiple of %d kv heads", path, f.Heads, f.KVHeads)
	}
	return nil
}

func readProvenance(dir string, f *Filters) error {
	path := filepath.Join(dir, ProvenanceFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("%s: %w", path, pathErr(err))
	}
	var p Provenance
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("%s: invalid JSON: %w", path, err)
	}
	f.Provenance = &p
	return nil
}
