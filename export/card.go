package export

import (
	"fmt"
	"sort"
	"strings"
)

// ModelCard returns the README.md of a filter directory: the front matter the
// Python library writes (so Hub tooling treats both alike), what produced the
// filters (from Provenance when present) and how to load them in kvpress.
// It is deterministic.
func ModelCard(f *Filters) string {
	var b strings.Builder
	b.WriteString("---\ntags:\n- model_hub_mixin\n- pytorch_model_hub_mixin\n---\n\n")
	p := f.Provenance
	title := "Q-Filters"
	if p != nil && p.Model != "" {
		title = "Q-Filters for " + p.Model
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	b.WriteString("Q-Filters (Godey et al., 2025, arXiv:2503.02812): for each layer and query head,\n" +
		"the unit vector along the principal direction of the post-RoPE queries (negated),\n" +
		"averaged over each key/value head's query group. kvpress scores every cached key\n" +
		"by its projection on the filter and prunes the lowest.\n\n")

	b.WriteString("## Shape\n\n")
	fmt.Fprintf(&b, "- `q_filters`: float32 [%d layers, %d kv heads, %d head dim]\n", f.Layers, f.KVHeads, f.HeadDim)
	if f.Heads > 0 {
		fmt.Fprintf(&b, "- query heads: %d (%d per kv head, averaged without renormalization)\n", f.Heads, f.GroupSize())
	}
	if len(f.NoCache) > 0 {
		fmt.Fprintf(&b, "- layers without a KV cache (linear attention; zero rows, never read): %s\n", intList(f.NoCache))
	}
	b.WriteString("\n")

	if p != nil {
		b.WriteString("## Provenance\n\n")
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(&b, "- %s: %s\n", k, v)
			}
		}
		tool := p.Tool
		if p.Version != "" {
			tool = strings.TrimSpace(tool + " " + p.Version)
		}
		row("tool", tool)
		row("model", p.Model)
		row("hub revision", p.HubRevision)
		row("hub commit", p.HubCommit)
		row("model type", p.ModelType)
		row("model config sha256", p.ConfigSHA256)
		row("weights sha256 (tensor index, sampled bytes)", p.WeightsSHA256)
		row("tokenizer sha256", p.TokenizerSHA256)
		row("calibration corpus", p.Corpus)
		row("corpus files read", p.CorpusFiles)
		if p.CorpusDocs > 0 {
			row("corpus sha256", fmt.Sprintf("%s (its first %d documents)", p.CorpusSHA256, p.CorpusDocs))
		} else {
			row("corpus sha256", p.CorpusSHA256)
		}
		row("text field", p.TextField)
		if p.SeqLen > 0 {
			row("sequence length", fmt.Sprint(p.SeqLen))
		}
		if p.NumSeqs > 0 {
			row("sequences", fmt.Sprint(p.NumSeqs))
		}
		if p.Tokens > 0 {
			row("tokens", fmt.Sprint(p.Tokens))
		}
		row("SVD samples per layer", p.Samples)
		row("seed", fmt.Sprint(p.Seed))
		row("sign rule", p.Sign)
		row("precision", p.Precision)
		row("kernel path", p.Kernels)
		keys := make([]string, 0, len(p.Extra))
		for k := range p.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			row(k, p.Extra[k])
		}
		b.WriteString("\n")
	}

	if f.Stability != nil {
		b.WriteString(stabilityCard(f))
	}
	b.WriteString("## Usage with kvpress\n\n")
	b.WriteString(kvpressUsage("path/to/this/directory"))
	return b.String()
}

// kvpressUsage is how to use a filter directory in kvpress. QFilterPress
// loads nthngdy/{model}_qfilt from the Hub in post_init_from_model (kvpress
// 0.5.5; __post_init_from_model__ in older releases), which every `with press(model)`
// calls, so filters set on the press beforehand are overwritten: a subclass
// must load ours there instead. The code is the README's "Use them in kvpress"
// block with dir for its directory name; make kvpress-test runs that block and
// checks that the cards carry it.
func kvpressUsage(dir string) string {
	return "`QFilterPress` loads `nthngdy/{model name}_qfilt` from the Hub each time it is applied\n" +
		"to a model, replacing any filters set before; this subclass loads these instead\n" +
		"(with your `model`, `tokenizer`, `context` and `question`):\n\n" +
		"```python\n" +
		"from dataclasses import dataclass\n\n" +
		"import transformers\n" +
		"from kvpress import QFilterPress\n" +
		"from kvpress.presses.qfilter_press import QFilters\n\n\n" +
		"@dataclass\n" +
		"class LocalQFilterPress(QFilterPress):\n" +
		"    filters: str = \"" + dir + "\"  # a directory qfilters wrote, or a Hub repo holding one\n\n" +
		"    def post_init_from_model(self, model):  # kvpress calls it each time the press is applied\n" +
		"        self.q_filters = QFilters.from_pretrained(self.filters).q_filters.to(model.dtype)\n\n" +
		"    __post_init_from_model__ = post_init_from_model  # the name older kvpress releases call (untested)\n\n\n" +
		"press = LocalQFilterPress(compression_ratio=0.5, filters=\"" + dir + "\")\n" +
		"pipe = transformers.pipeline(\"kv-press-text-generation\", model=model, tokenizer=tokenizer)  # importing kvpress registers it\n" +
		"answer = pipe(context, question=question, press=press)[\"answer\"]\n" +
		"```\n"
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// stabilityCard is the model card's section on split-half stability.
func stabilityCard(f *Filters) string {
	var b strings.Builder
	b.WriteString("## Stability\n\n")
	b.WriteString("Split-half stability: the cosine of the filters computed from the even and from the odd\n" +
		"calibration sequences alone (1 = the two halves agree exactly). A rerun on as many other\n" +
		"sequences is expected to agree with these filters to about 1 - (1 - stability) / 2.\n\n")
	st := ComputeFigures(f)
	for _, level := range []struct {
		rows []HeadFigures
		name string
	}{{st.KV, "kv"}, {st.Query, "query"}} {
		if s := Summarize(level.rows, MetricStability, level.name, 5); s != nil {
			weak := make([]string, len(s.Weakest))
			for i, h := range s.Weakest {
				weak[i] = h.String()
			}
			fmt.Fprintf(&b, "- %s heads (%d): mean %.4f, min %.4f at L%d H%d; weakest: %s\n",
				level.name, s.Count, s.Mean, s.Min.Value, s.Min.Layer, s.Min.Head, strings.Join(weak, ", "))
		}
	}
	b.WriteString("\n")
	return b.String()
}
