package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/qfilters/qfilters/safetensors"
)

// Tensor names of an Expected Attention statistics directory (kvpress's
// ExpectedAttentionStats: model.safetensors, config.json, README.md).
const (
	QueryMeanTensor = "query_mean"
	QueryCovTensor  = "query_cov"
)

// ExpStats are the per-head query statistics kvpress's
// ExpectedAttentionStatsPress loads: the mean and covariance of the queries
// before RoPE. Tensors are flat, row-major, float32.
type ExpStats struct {
	Layers, Heads, HeadDim int
	Mean                   []float32 // [Layers][Heads][HeadDim]
	Cov                    []float32 // [Layers][Heads][HeadDim][HeadDim]

	// The constructor arguments kvpress stores in config.json.
	DatasetName, ModelName          string
	NumSamples, SampleSeqLen, NSink int

	// Card lines (provenance) written into README.md only.
	Card [][2]string
	// Samples, when set, replaces the card's description of the samples.
	Samples string
}

// StatsDirName is how kvpress names a statistics repository (stats_id
// without the owner).
func StatsDirName(model, dataset string, numSamples, sampleSeqLen, nSink int) string {
	return fmt.Sprintf("exp_att_stats_%s_%s_%d_%d_%d", strings.ReplaceAll(model, "/", "_"),
		strings.ReplaceAll(dataset, "/", "_"), numSamples, sampleSeqLen, nSink)
}

func (s *ExpStats) validate() error {
	l, h, d := s.Layers, s.Heads, s.HeadDim
	if l <= 0 || h <= 0 || d <= 0 {
		return fmt.Errorf("query statistics of shape [%d, %d, %d]", l, h, d)
	}
	if len(s.Mean) != l*h*d || len(s.Cov) != l*h*d*d {
		return fmt.Errorf("query statistics: %d mean and %d covariance values for [%d layers, %d heads, %d head dim]", len(s.Mean), len(s.Cov), l, h, d)
	}
	for _, v := range [][]float32{s.Mean, s.Cov} {
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return errors.New("query statistics hold non-finite values")
			}
		}
	}
	return nil
}

// WriteExpStats writes s as a directory ExpectedAttentionStats.from_pretrained
// loads, atomically (see WriteWith).
func WriteExpStats(dir string, s *ExpStats, opt WriteOptions) error {
	if err := s.validate(); err != nil {
		return err
	}
	return writeDir(dir, opt, func(tmp string) error {
		l, h, d := s.Layers, s.Heads, s.HeadDim
		tensors := []safetensors.Tensor{
			{Name: QueryCovTensor, DType: safetensors.F32, Shape: []int{l, h, d, d}, Data: safetensors.EncodeFloat32(s.Cov)},
			{Name: QueryMeanTensor, DType: safetensors.F32, Shape: []int{l, h, d}, Data: safetensors.EncodeFloat32(s.Mean)},
		}
		if err := safetensors.Write(filepath.Join(tmp, ModelFile), tensors, map[string]string{"format": "pt"}); err != nil {
			return fmt.Errorf("%s: %w", ModelFile, err)
		}
		if err := writeFile(filepath.Join(tmp, ConfigFile), s.config()); err != nil {
			return err
		}
		return writeFile(filepath.Join(tmp, ReadmeFile), []byte(s.card()))
	})
}

// config is config.json as huggingface_hub's mixin writes it: the
// constructor arguments, keys sorted, indent 2, non-ASCII escaped, no final
// newline.
func (s *ExpStats) config() []byte {
	fields := [][2]string{
		{"dataset_name", pyString(s.DatasetName)},
		{"head_dim", fmt.Sprint(s.HeadDim)},
		{"model_name", pyString(s.ModelName)},
		{"n_sink", fmt.Sprint(s.NSink)},
		{"num_heads", fmt.Sprint(s.Heads)},
		{"num_layers", fmt.Sprint(s.Layers)},
		{"num_samples", fmt.Sprint(s.NumSamples)},
		{"sample_seq_len", fmt.Sprint(s.SampleSeqLen)},
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, f := range fields {
		fmt.Fprintf(&b, "  %q: %s", f[0], f[1])
		if i < len(fields)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	return b.Bytes()
}

// pyString encodes v as Python's json.dumps does by default (ensure_ascii).
func pyString(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x7f || (r > 0x7f && r < 0x10000):
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (s *ExpStats) card() string {
	var b strings.Builder
	b.WriteString("---\ntags:\n- model_hub_mixin\n- pytorch_model_hub_mixin\n---\n\n")
	fmt.Fprintf(&b, "# Expected Attention query statistics for %s\n\n", s.ModelName)
	b.WriteString("The mean and covariance of every layer's and query head's queries before RoPE\n" +
		"(after the projection, bias and any q-norm), over the first tokens of a corpus,\n" +
		"skipping each document's first n_sink tokens; covariance with N-1.\n" +
		"kvpress's ExpectedAttentionStatsPress rotates them to the future positions and scores\n" +
		"each cached key by the attention such queries are expected to pay it.\n\n")
	b.WriteString("## Shape\n\n")
	fmt.Fprintf(&b, "- `query_mean`: float32 [%d layers, %d heads, %d head dim]\n", s.Layers, s.Heads, s.HeadDim)
	fmt.Fprintf(&b, "- `query_cov`: float32 [%d layers, %d heads, %d, %d]\n\n", s.Layers, s.Heads, s.HeadDim, s.HeadDim)
	b.WriteString("## Provenance\n\n")
	samples := s.Samples
	if samples == "" {
		samples = fmt.Sprintf("%d documents, each cut to its first %d characters", s.NumSamples, s.SampleSeqLen)
	}
	fmt.Fprintf(&b, "- dataset: %s\n- samples: %s\n- sink tokens skipped: %d\n", s.DatasetName, samples, s.NSink)
	for _, kv := range s.Card {
		if kv[1] != "" {
			fmt.Fprintf(&b, "- %s: %s\n", kv[0], kv[1])
		}
	}
	// The README's stats block with this directory (make kvpress-test runs
	// that block and checks that the cards carry it).
	b.WriteString("\n## Usage with kvpress\n\nWith your `model`, `tokenizer`, `context` and `question`:\n\n```python\n" +
		"import transformers\n" +
		"from kvpress.presses.expected_attention_with_stats import ExpectedAttentionStatsPress\n\n" +
		"press = ExpectedAttentionStatsPress(compression_ratio=0.5, stats_folder=\"path/to/this/directory\")\n" +
		"pipe = transformers.pipeline(\"kv-press-text-generation\", model=model, tokenizer=tokenizer)  # importing kvpress registers it\n" +
		"answer = pipe(context, question=question, press=press)[\"answer\"]\n" +
		"```\n\n")
	fmt.Fprintf(&b, "`n_sink` of the press should match the statistics' (%d).\n", s.NSink)
	return b.String()
}

// ReadExpStats loads a statistics directory written by kvpress or by
// WriteExpStats.
func ReadExpStats(dir string) (*ExpStats, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("statistics directory %s: "+format, append([]any{dir}, a...)...)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, bad("%w", pathErr(err))
	} else if !st.IsDir() {
		return nil, bad("not a directory")
	}
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bad("no %s (not Expected Attention statistics)", ConfigFile)
	} else if err != nil {
		return nil, bad("%s: %w", ConfigFile, pathErr(err))
	}
	var cfg struct {
		DatasetName  string `json:"dataset_name"`
		HeadDim      *int   `json:"head_dim"`
		ModelName    string `json:"model_name"`
		NSink        int    `json:"n_sink"`
		NumHeads     *int   `json:"num_heads"`
		NumLayers    *int   `json:"num_layers"`
		NumSamples   int    `json:"num_samples"`
		SampleSeqLen int    `json:"sample_seq_len"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, bad("%s: invalid JSON: %w", ConfigFile, err)
	}
	if cfg.HeadDim == nil || cfg.NumHeads == nil || cfg.NumLayers == nil {
		return nil, bad("%s lacks num_layers, num_heads or head_dim (not Expected Attention statistics)", ConfigFile)
	}
	s := &ExpStats{Layers: *cfg.NumLayers, Heads: *cfg.NumHeads, HeadDim: *cfg.HeadDim,
		DatasetName: cfg.DatasetName, ModelName: cfg.ModelName, NumSamples: cfg.NumSamples,
		SampleSeqLen: cfg.SampleSeqLen, NSink: cfg.NSink}
	if s.Layers <= 0 || s.Heads <= 0 || s.HeadDim <= 0 || s.Layers > 1<<12 || s.Heads > 1<<12 || s.HeadDim > 1<<12 {
		return nil, bad("%s says [%d layers, %d heads, %d head dim]", ConfigFile, s.Layers, s.Heads, s.HeadDim)
	}
	path := filepath.Join(dir, ModelFile)
	ck, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	read := func(name string, shape ...int) ([]float32, error) {
		if !ck.Has(name) {
			return nil, fmt.Errorf("%s: no tensor %q", path, name)
		}
		t, err := ck.Tensor(name)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("%s: %s has shape %v, config.json implies %v", path, name, t.Shape, shape)
		}
		return t.Float32()
	}
	l, h, d := s.Layers, s.Heads, s.HeadDim
	if s.Mean, err = read(QueryMeanTensor, l, h, d); err != nil {
		return nil, err
	}
	if s.Cov, err = read(QueryCovTensor, l, h, d, d); err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, bad("%w", err)
	}
	return s, nil
}
