package tokenizer

import "testing"

// benchmarkSplit measures one split pattern over English prose.
func benchmarkSplit(b *testing.B, expr string) {
	p, err := compileRegex(expr)
	if err != nil {
		b.Fatal(err)
	}
	text := proseText(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		p.findAll(text)
	}
}

func BenchmarkSplitLlama3(b *testing.B) { benchmarkSplit(b, llama3Pattern) }
func BenchmarkSplitO200k(b *testing.B)  { benchmarkSplit(b, o200kPattern) }
func BenchmarkSplitQwen35(b *testing.B) { benchmarkSplit(b, qwen35Pattern) }
