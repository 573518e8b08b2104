package gguf_test

import (
	"math"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/model"
)

// storiesSeqs are a few token sequences of stories260K's vocabulary.
func storiesSeqs(vocab int) [][]int {
	var seqs [][]int
	x := uint32(12345)
	for s := 0; s < 4; s++ {
		seq := []int{1}
		for i := 0; i < 48; i++ {
			x = x*1664525 + 1013904223
			seq = append(seq, 3+int(x>>8)%(vocab-3))
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func calibrateOn(t *testing.T, path string, seqs [][]int) *calibrate.Result {
	t.Helper()
	m, err := model.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := calibrate.Run(m, seqs, calibrate.Options{Samples: 0, Sign: calibrate.SignVote})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestStories260KFilters: llama.cpp's own conversion of stories260K gives
// the filters of the Hugging Face checkpoint. The GGUF's attn_q/attn_k rows
// are in llama.cpp's interleaved order; without undoing that permutation the
// filters would come out in other coordinates and this would fail.
func TestStories260KFilters(t *testing.T) {
	path := fixture.Path("stories260K-gguf", "stories260K.gguf")
	hf, err := model.Open(fixture.Stories260K())
	if err != nil {
		t.Fatal(err)
	}
	seqs := storiesSeqs(hf.Config.Vocab)
	hf.Close()
	want := calibrateOn(t, fixture.Stories260K(), seqs)
	got := calibrateOn(t, path, seqs)
	if got.Layers != want.Layers || got.KVHeads != want.KVHeads || got.HeadDim != want.HeadDim {
		t.Fatalf("geometry %d/%d/%d, want %d/%d/%d", got.Layers, got.KVHeads, got.HeadDim, want.Layers, want.KVHeads, want.HeadDim)
	}
	d := got.HeadDim
	identical := slices.Equal(got.QFilters, want.QFilters)
	for f := 0; f < got.Layers*got.KVHeads; f++ {
		g, w := got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]
		if c := cosine(g, w); c < 0.9999 {
			t.Errorf("layer %d kv head %d: cosine %.6f (< 0.9999; negative: opposite sign)", f/got.KVHeads, f%got.KVHeads, c)
		}
	}
	t.Logf("filters bit-identical to the Hugging Face checkpoint's: %v", identical)
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
