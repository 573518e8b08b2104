package model

import "testing"

// lengthDependentRoPE are the fixtures whose rotation depends on the sequence
// length (dynamic NTK past max_position_embeddings, longrope past its
// original context): one batched forward and a token-by-token decode differ
// there by design.
var lengthDependentRoPE = map[string]bool{"rope_dynamic": true, "rope_longrope": true}

// TestDecoderMatchesForward checks that decoding token by token with a full
// cache gives the logits of the batched forward pass, on every architecture.
func TestDecoderMatchesForward(t *testing.T) {
	for _, arch := range allArchs {
		t.Run(arch, func(t *testing.T) {
			if lengthDependentRoPE[arch] {
				t.Skip("RoPE depends on the length seen: token by token, earlier keys keep the rotation of a shorter sequence, as in transformers' generation")
			}
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
			if n := len(cache.Layers[0][0].Keys); n != len(ids) {
				t.Errorf("cache holds %d keys, want %d", n, len(ids))
			}
		})
	}
}
