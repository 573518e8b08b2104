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
	saved    int // layers whose sink state is in part files
}

// A checkpoint directory holds state.safetensors (the hidden states after
// the layers done and the identity of the run: rewritten, only the newest
// kept) and part-<from>-<to>.safetensors files, one per checkpoint, each
// with what the sink gathered in layers [from, to): written once, so that a
// checkpoint costs the hidden states and the new layers, not everything
// gathered so far.
const (
	checkpointFile = "state.safetensors"
	metaNextLayer  = "next_layer"
	partPattern    = "part-%05d-%05d.safetensors"
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
		// Parts without a state are from a run killed before its first
		// state was written: start over.
		c.removeParts(func(int, int) bool { return true })
		return nil, 0, nil
	}
	ck, err := safetensors.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
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
		return nil, 0, fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
	}
	if n != total {
		return nil, 0, fmt.Errorf("checkpoint %s: %d hidden states for %d tokens", c.dir, n, total)
	}
	parts, err := c.openParts(next)
	if err != nil {
		return nil, 0, err
	}
	defer parts.close()
	if err := out.restore(parts, next); err != nil {
		return nil, 0, fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
	}
	c.saved = next
	return hidden, next, nil
}

// partFiles lists the part files of the checkpoint by their layer ranges.
func (c *checkpointer) partFiles() map[[2]int]string {
	out := make(map[[2]int]string)
	entries, _ := os.ReadDir(c.dir)
	for _, e := range entries {
		var from, to int
		if _, err := fmt.Sscanf(e.Name(), partPattern, &from, &to); err == nil && fmt.Sprintf(partPattern, from, to) == e.Name() {
			out[[2]int{from, to}] = filepath.Join(c.dir, e.Name())
		}
	}
	return out
}

// removeParts deletes the part files whose range drop selects.
func (c *checkpointer) removeParts(drop func(from, to int) bool) {
	for r, path := range c.partFiles() {
		if drop(r[0], r[1]) {
			os.Remove(path)
		}
	}
}

// openParts opens the chain of part files covering layers [0, next), and
// removes any other (a part written by a run killed before its state was).
func (c *checkpointer) openParts(next int) (partSet, error) {
	files := c.partFiles()
	var chain []string
	inChain := make(map[[2]int]bool)
	for at := 0; at < next; {
		found := false
		for r, path := range files {
			if r[0] == at && r[1] > at && r[1] <= next {
				chain, inChain[r], at, found = append(chain, path), true, r[1], true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("checkpoint %s is incomplete: no part holds layer %d; remove it to start over", c.dir, at)
		}
	}
	c.removeParts(func(from, to int) bool { return !inChain[[2]int{from, to}] })
	var parts partSet
	for _, path := range chain {
		ck, err := safetensors.Open(path)
		if err != nil {
			parts.close()
			return nil, fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
		}
		parts = append(parts, ck)
		for k, v := range c.identity {
			if ck.Metadata()[k] != v {
				parts.close()
				return nil, fmt.Errorf("checkpoint part %s was written for other inputs (%s); remove %s to start over", path, strings.TrimPrefix(k, "input."), c.dir)
			}
		}
	}
	return parts, nil
}

// partSet reads tensors from the parts of a checkpoint.
type partSet []*safetensors.Checkpoint

func (p partSet) Tensor(name string) (safetensors.Tensor, error) {
	for _, ck := range p {
		if ck.Has(name) {
			return ck.Tensor(name)
		}
	}
	return safetensors.Tensor{}, fmt.Errorf("tensor %s missing", name)
}

func (p partSet) close() {
	for _, ck := range p {
		ck.Close()
	}
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

// save records that layers before next are done: the sink's state of the
// layers since the last checkpoint in a new part, then the hidden states,
// replacing the previous ones.
func (c *checkpointer) save(next int, hidden []float32, out state) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
	}
	meta := make(map[string]string, len(c.identity)+1)
	for k, v := range c.identity {
		meta[k] = v
	}
	// safetensors.Write is atomic; a kill -9 between the two writes leaves
	// the previous state and a part that resume discards.
	part := filepath.Join(c.dir, fmt.Sprintf(partPattern, c.saved, next))
	if err := safetensors.Write(part, out.tensors(c.saved, next), meta); err != nil {
		return fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
	}
	meta[metaNextLayer] = strconv.Itoa(next)
	state := []safetensors.Tensor{f32Tensor("hidden", hidden, len(hidden)/c.width, c.width)}
	if err := safetensors.Write(filepath.Join(c.dir, checkpointFile), state, meta); err != nil {
		return fmt.Errorf("resume checkpoint %s: %w", c.dir, err)
	}
	c.saved = next
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
