package model

import "testing"

// TestDecoderMatchesForward checks that decoding token by token with a full
// cache gives the logits of the batched forward pass, on every architecture.
func TestDecoderMatchesForward(t *testing.T) {
	for _, arch := range append(allArchs[:len(allArchs):len(allArchs)], hybridArchs...) {
		t.Run(arch, func(t *testing.T) {
			m, err := Open(archDir(t, arch))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			ids := loadGolden(t, archDir(t, arch)).ids[0]
			want, err := m.Forward(ids, nil)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := m.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			cache := dec.NewCache()
			v := m.Config.Vocab
			for p, id := range ids {
				got, err := dec.Step(id, p, cache)
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(got, want[p*v:(p+1)*v]); e > 1e-5 {
					t.Fatalf("position %d: rel err %.3g", p, e)
				}
			}
			for l, heads := range cache.Layers {
				if m.Config.HasCache(l) != (len(heads) > 0) || len(heads) > 0 && len(heads[0].Keys) != len(ids) {
					t.Errorf("layer %d: %d kv heads (has cache %v), want %d tokens each", l, len(heads), m.Config.HasCache(l), len(ids))
				}
			}
		})
	}
}
