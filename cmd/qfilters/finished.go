package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/qfilters/qfilters/calibrate"
	"github.com/qfilters/qfilters/export"
)

// runKey is what makes two calibrations the same job: the inputs by
// content (calibrate's identity), the seed, and which shard of how many
// sequences. A finished output whose key equals the new run's is that run's
// result already.
type runKey struct {
	identity               map[string]string
	seed                   int64
	numSeqs, shard, shards int
}

// finishedDiff compares the output already at out with the run about to
// start: "" when it is that run's result (a re-submitted job with --resume
// then has nothing to do), else what differs.
func finishedDiff(out string, stats bool, k runKey) (string, error) {
	if stats {
		st, err := calibrate.ReadStats(out)
		if err != nil {
			return "", err
		}
		m := st.Meta
		return keyDiff(k, runKey{m.Identity, m.Seed, m.NumSeqs, m.Shard, m.Shards}), nil
	}
	f, err := export.Read(out)
	if err != nil {
		return "", err
	}
	p := f.Provenance
	if p == nil {
		return "it has no provenance (" + export.ProvenanceFile + ")", nil
	}
	id := map[string]string{
		"model_type": p.ModelType, "config_sha256": p.ConfigSHA256, "weights_sha256": p.WeightsSHA256,
		"corpus_sha256": p.CorpusSHA256, "text_field": p.TextField,
		"seq_len": strconv.Itoa(p.SeqLen), "samples": p.Samples, "precision": p.Precision, "sign": p.Sign,
	}
	if p.TokenizerSHA256 != "" {
		id["tokenizer_sha256"] = p.TokenizerSHA256
	}
	// Keys the filter directory does not record are not compared.
	want := runKey{map[string]string{}, k.seed, k.numSeqs, 0, 1}
	for key, v := range k.identity {
		if _, ok := id[key]; ok || key == "tokenizer_sha256" {
			want.identity[key] = v
		}
	}
	return keyDiff(want, runKey{id, p.Seed, p.NumSeqs, 0, 1}), nil
}

func keyDiff(a, b runKey) string {
	switch {
	case a.seed != b.seed:
		return fmt.Sprintf("--seed %d, it has %d", a.seed, b.seed)
	case a.numSeqs != b.numSeqs:
		return fmt.Sprintf("--num-seqs %d, it has %d", a.numSeqs, b.numSeqs)
	case a.shard != b.shard || a.shards != b.shards:
		return fmt.Sprintf("shard %d/%d, it has %d/%d", a.shard, a.shards, b.shard, b.shards)
	}
	keys := make([]string, 0, len(a.identity)+len(b.identity))
	for k := range a.identity {
		keys = append(keys, k)
	}
	for k := range b.identity {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a.identity[k] != b.identity[k] {
			return fmt.Sprintf("%s %q, it has %q", k, a.identity[k], b.identity[k])
		}
	}
	return ""
}

// exists reports whether something is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
