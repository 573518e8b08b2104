package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// proseText returns English prose: the TinyStories calibration corpus the
// repository carries.
func proseText(b *testing.B) string {
	f, err := os.Open(fixture.StoriesCorpus())
	if err != nil {
		b.Fatalf("the corpus the repository carries is missing: %v", err)
	}
	defer f.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var rec struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			b.Fatal(err)
		}
		sb.WriteString(rec.Text)
		sb.WriteString("\n\n")
	}
	return sb.String()
}

func benchmarkEncode(b *testing.B, family string, cold bool) {
	tk := loadFamily(b, family)
	text := proseText(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		if cold {
			b.StopTimer()
			tk.model.clearCache()
			b.StartTimer()
		}
		tk.Encode(text, true)
	}
}

// BenchmarkEncodeLlama3 measures Llama 3 encoding of English prose with the
// word cache warm, as it is after the first few documents of a corpus.
func BenchmarkEncodeLlama3(b *testing.B) { benchmarkEncode(b, "llama3", false) }

// BenchmarkEncodeLlama3Cold empties the word cache before every pass.
func BenchmarkEncodeLlama3Cold(b *testing.B) { benchmarkEncode(b, "llama3", true) }

func BenchmarkEncodeQwen3(b *testing.B)       { benchmarkEncode(b, "qwen3", false) }
func BenchmarkEncodeDeepSeekV3(b *testing.B)  { benchmarkEncode(b, "deepseek_v3", false) }
func BenchmarkEncodeLlama2(b *testing.B)      { benchmarkEncode(b, "llama2", false) }
func BenchmarkEncodeStories260K(b *testing.B) { benchmarkEncode(b, "stories260K", false) }
