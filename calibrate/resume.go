package calibrate

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

// checkpointer saves a run's state after every layer (the hidden states of
// its sequences and what its sink has gathered) to CheckpointDir, and resumes
// from it when the inputs are identical.
type checkpointer struct {
	dir      string
	identity map[string]string
	layers   int
	width    int // hidden size
	when     *cadence
	written  func(layer int, took time.Duration)
}

const (
	checkpointFile = "state.safetensors"
	metaNextLayer  = "next_layer"
)

func newCheckpointer(opt Options, m *model.Model, seqs [][]int) *checkpointer {
	c := m.Config
	id := map[string]string{
		"config_sha256": c.SHA256,
		"samples":       strconv.Itoa(opt.Samples),
		"seed":          strconv.FormatInt(opt.Seed, 10),
		"sign":          string(opt.Sign),
		"shard":         fmt.Sprintf("%d/%d", opt.Shard, opt.Shards),
		"sequences":     sequencesHash(seqs),
	}
	for k, v := range opt.Identity {
		id["input."+k] = v
	}
	return &checkpointer{dir: opt.CheckpointDir, identity: id, layers: c.Layers, width: c.Hidden,
		when: newCadence(opt.CheckpointLayers, opt.CheckpointInterval, time.Now()), written: opt.Checkpointed}
}

// sequencesHash identifies token sequences (count, lengths and ids).
func sequencesHash(seqs [][]int) string {
	h := sha256.New()
	var b [8]byte
	for _, s := range seqs {
		binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		for _, id := range s {
			binary.LittleEndian.PutUint64(b[:], uint64(id))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resume returns the saved hidden states (sequences of lengths lens, one
// after another) and the next layer to run, or nil and 0 when there is
// nothing to resume.
func (c *checkpointer) resume(out state, lens []int) ([]float32, int, error) {
	if c.dir == "" {
		return nil, 0, nil
	}
	path := filepath.Join(c.dir, checkpointFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	ck, err := safetensors.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("checkpoint: %w", err)
	}
	defer ck.Close()
	meta := ck.Metadata()
	keys := make([]string, 0, len(c.identity))
	for k := range c.identity {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if meta[k] != c.identity[k] {
			return nil, 0, fmt.Errorf("checkpoint %s was written for other inputs: %s (checkpoint vs this run); remove it to start over", c.dir, identityDiff(strings.TrimPrefix(k, "input."), meta[k], c.identity[k]))
		}
	}
	next, err := strconv.Atoi(meta[metaNextLayer])
	if err != nil || next < 1 || next > c.layers {
		return nil, 0, fmt.Errorf("checkpoint %s: invalid %s %q", c.dir, metaNextLayer, meta[metaNextLayer])
	}
	total := 0
	for _, n := range lens {
		total += n
	}
	hidden, n, err := readRows(ck, "hidden", c.width)
	if err != nil {
		return nil, 0, fmt.Errorf("checkpoint: %w", err)
	}
	if n != total {
		return nil, 0, fmt.Errorf("checkpoint %s: %d hidden states for %d tokens", c.dir, n, total)
	}
	if err := out.restore(ck, next); err != nil {
		return nil, 0, fmt.Errorf("checkpoint: %w", err)
	}
	return hidden, next, nil
}

// layerDone is called when layers before next are done: it checkpoints them
// when the cadence says so (never after the last layer).
func (c *checkpointer) layerDone(next int, hidden []float32, out state) error {
	if c.dir == "" || next >= c.layers || !c.when.layerDone(time.Now()) {
		return nil
	}
	start := time.Now()
	if err := c.save(next, hidden, out); err != nil {
		return err
	}
	end := time.Now()
	c.when.written(end, end.Sub(start))
	if c.written != nil {
		c.written(next-1, end.Sub(start))
	}
	return nil
}

// save records that layers before next are done, replacing the previous
// checkpoint: only the newest is kept.
func (c *checkpointer) save(next int, hidden []float32, out state) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tensors := append(out.tensors(), f32Tensor("hidden", hidden, len(hidden)/c.width, c.width))
	meta := map[string]string{metaNextLayer: strconv.Itoa(next)}
	for k, v := range c.identity {
		meta[k] = v
	}
	// safetensors.Write is atomic: a kill -9 leaves the previous state.
	if err := safetensors.Write(filepath.Join(c.dir, checkpointFile), tensors, meta); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// identityDiff says how one identity entry differs: hashes by what they
// hash and their first digits, settings by their values.
func identityDiff(key, a, b string) string {
	if what, ok := strings.CutSuffix(key, "_sha256"); ok {
		short := func(s string) string {
			if len(s) > 12 {
				return s[:12] + "…"
			}
			return s
		}
		return fmt.Sprintf("different %s (sha256 %s vs %s)", strings.ReplaceAll(what, "_", " "), short(a), short(b))
	}
	return fmt.Sprintf("%s %q vs %q", key, a, b)
}
