package model

import (
	"slices"
	"testing"
)

// TestStopWithinAChunk: a Stop that turns true while a sequence's queries
// are handed out (eval's recall runs there) ends Forward before that
// sequence's attention and the chunk's MLP, which leave h as it was.
func TestStopWithinAChunk(t *testing.T) {
	m, err := Open(archDir(t, "llama31"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	emb, err := m.Embedding()
	if err != nil {
		t.Fatal(err)
	}
	ids := loadGolden(t, archDir(t, "llama31")).ids[0]
	h, err := emb.Embed(ids)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(h)
	layer, err := m.Layer(0, true)
	if err != nil {
		t.Fatal(err)
	}
	stop, checks := false, 0
	layer.Stop = func() bool { checks++; return stop }
	layer.Forward(h, []int{len(ids)}, func(int, []float32, []float32) { stop = true })
	if !slices.Equal(h, before) || checks < 2 {
		t.Errorf("Forward went on after Stop (%d checks): the block changed h", checks)
	}
	stop = false
	layer.Stop = nil
	layer.Forward(h, []int{len(ids)}, nil)
	if slices.Equal(h, before) {
		t.Error("without Stop the block left h as it was")
	}
}
