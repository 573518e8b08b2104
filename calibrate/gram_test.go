package calibrate

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// gramLayer gathers one layer of Gram statistics from random rows.
func gramLayer(n, heads, d int) (*Stats, []float32) {
	r := rand.New(rand.NewPCG(7, 7))
	rows := make([]float32, n*heads*d)
	for i := range rows {
		rows[i] = float32(r.NormFloat64())
	}
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	st := &Stats{Meta: StatsMeta{Heads: heads, HeadDim: d, Gram: true}, Layers: make([]LayerStats, 1)}
	(*statsSink)(st).layer(0, pos, rows)
	return st, rows
}

// TestGramParallelSameBytes: the Gram statistics of every position are
// gathered across heads in parallel, and are the same bytes whatever the
// number of threads, equal to one head at a time.
func TestGramParallelSameBytes(t *testing.T) {
	const n, heads, d = 301, 6, 8
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var got [][]float64
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		st, _ := gramLayer(n, heads, d)
		got = append(got, append(st.Layers[0].Gram, st.Layers[0].Sum...))
		if st.Layers[0].Count != n {
			t.Fatalf("count %d", st.Layers[0].Count)
		}
	}
	if !slices.Equal(got[0], got[1]) {
		t.Fatal("Gram statistics depend on the number of threads")
	}
	_, rows := gramLayer(n, heads, d)
	var serial []float64
	var sums []float64
	for h := 0; h < heads; h++ {
		hs := newHeadStats(d)
		hs.add(rows, n, heads*d, h*d)
		serial = append(serial, hs.gram...)
		sums = append(sums, hs.sum...)
	}
	if !slices.Equal(got[0], append(serial, sums...)) {
		t.Fatal("Gram statistics differ from one head at a time")
	}
}

// BenchmarkGramLayer: one layer of --samples all statistics in a shard
// (2048 positions, 32 heads of 128 dims). Compare -cpu 1 and -cpu N.
func BenchmarkGramLayer(b *testing.B) {
	const n, heads, d = 2048, 32, 128
	r := rand.New(rand.NewPCG(1, 1))
	rows := make([]float32, n*heads*d)
	for i := range rows {
		rows[i] = float32(r.NormFloat64())
	}
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	st := &Stats{Meta: StatsMeta{Heads: heads, HeadDim: d, Gram: true}, Layers: make([]LayerStats, 1)}
	b.SetBytes(int64(len(rows) * 4))
	for b.Loop() {
		(*statsSink)(st).layer(0, pos, rows)
	}
}
