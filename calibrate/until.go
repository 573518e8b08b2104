package calibrate

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

// Calibration until stable: sequences are added in rounds (UntilSchedule)
// until every head's split-half stability reaches a threshold. The result of
// a round that ends with n sequences is bit for bit the result of Run on the
// first n sequences: the sample of a layer is drawn from (seed, layer, number
// of positions), which is not a prefix of a larger run's sample, so each
// round keeps, of its new sequences, the rows at the positions of its own
// sample and of every later round's (a later round's sample falls on the
// sequences seen so far in proportion: with doubling rounds about twice one
// sample per layer is held in all); a round then solves from exactly the rows
// Run would use, in the same order. Each round runs the forward pass of its
// new sequences only.

// UntilSchedule returns the sequence counts after which a run until stable
// checks the stability: 4, 8, 16, … (the first with two sequences per half),
// doubling, and max last.
func UntilSchedule(max int) []int {
	var out []int
	for n := 4; n < max; n *= 2 {
		out = append(out, n)
	}
	return append(out, max)
}

// Round says how a round of RunUntilStable ended.
type Round struct {
	Sequences int // sequences used so far
	Tokens    int
	// MinStability is the lowest stability over query and kv heads (NaN
	// when it cannot be measured: one sequence); Level, Layer and Head name
	// that head.
	MinStability       float64
	Level              string
	Layer, Head        int
	Stable, Last, Done bool // Done: the run stops after this round
}

// RunUntilStable calibrates m on the first n of seqs for the n of the
// schedule at which every query and kv head's stability is at least
// minStability, or all of seqs; it returns the result (identical to Run on
// seqs[:n]) and the report of the last round. round, when set, is called
// after each round. With opt.CheckpointDir the run resumes: from the last
// round completed, and inside a round from its last checkpointed layer.
func RunUntilStable(m *model.Model, seqs [][]int, opt Options, minStability float64, round func(Round)) (*Result, Round, error) {
	if opt.Sign == "" {
		opt.Sign = SignVote
	}
	if opt.Sign != SignVote && opt.Sign != SignMean {
		return nil, Round{}, fmt.Errorf("unknown sign rule %q (vote, mean)", opt.Sign)
	}
	if len(seqs) == 0 {
		return nil, Round{}, fmt.Errorf("no calibration sequences")
	}
	opt.Shard, opt.Shards = 0, 1
	c := m.Config
	sched := UntilSchedule(len(seqs))
	offsets := seqOffsets(seqs)
	// Rows are kept as gather hands them: padded to the widest head dim.
	st := &untilState{kept: make([]keptRows, c.Layers), width: c.Heads * c.MaxHeadDim()}
	var statePath string
	identity := newCheckpointer(opt, m, seqs).identity
	if opt.CheckpointDir != "" {
		statePath = filepath.Join(opt.CheckpointDir, untilStateFile)
		if err := st.load(statePath, identity, len(sched)); err != nil {
			return nil, Round{}, err
		}
	}
	gatherRound := func(r int) error { return st.gatherRound(m, seqs, offsets, sched, r, opt) }
	saved := func(n int) error {
		if statePath == "" {
			return nil
		}
		if err := st.save(statePath, identity); err != nil {
			return err
		}
		return os.RemoveAll(roundDir(opt.CheckpointDir, n))
	}
	return st.rounds(c, sched, offsets, opt, minStability, gatherRound, saved, round)
}

// rounds runs the rounds from st.next on: each gathers its new sequences'
// rows (gatherRound), solves the first sched[r] sequences and stops when
// every head is stable or the last round is done; saved is called after
// each round that does not stop.
func (st *untilState) rounds(c *model.Config, sched, offsets []int, opt Options, minStability float64,
	gatherRound func(r int) error, saved func(n int) error, round func(Round)) (*Result, Round, error) {
	// Rounds a resumed run completed before are solved again from the rows
	// kept (each kept every later round's sample): they are reported again,
	// and the run stops at the first that this run's threshold, which may
	// not be the killed run's, finds stable, as a fresh run would.
	for r := 0; r < st.next; r++ {
		res, rep, err := st.solve(c, offsets, sched[r], opt)
		if err != nil {
			return nil, Round{}, err
		}
		rep.Stable = !math.IsNaN(rep.MinStability) && rep.MinStability >= minStability
		rep.Done = rep.Stable
		if round != nil {
			round(rep)
		}
		if rep.Done {
			return res, rep, nil
		}
	}
	for r := st.next; r < len(sched); r++ {
		n := sched[r]
		if err := gatherRound(r); err != nil {
			return nil, Round{}, err
		}
		res, rep, err := st.solve(c, offsets, n, opt)
		if err != nil {
			return nil, Round{}, err
		}
		rep.Stable = !math.IsNaN(rep.MinStability) && rep.MinStability >= minStability
		rep.Last = r == len(sched)-1
		rep.Done = rep.Stable || rep.Last
		if round != nil {
			round(rep)
		}
		if rep.Done {
			return res, rep, nil
		}
		st.next = r + 1
		if err := saved(n); err != nil {
			return nil, Round{}, err
		}
	}
	return nil, Round{}, fmt.Errorf("no round to run (next %d of %d)", st.next, len(sched))
}

// untilState is what the rounds have gathered: per layer, the rows kept so
// far at their global positions (increasing), and the next round to run.
type untilState struct {
	kept  []keptRows
	width int
	next  int
}

type keptRows struct {
	pos  []int
	rows []float32
}

const untilStateFile = "until.safetensors"

func roundDir(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("round-%d", n))
}

// gatherRound runs round r's new sequences [sched[r-1], sched[r]) and keeps
// their rows at the positions of round r's sample and of every later one's.
func (st *untilState) gatherRound(m *model.Model, seqs [][]int, offsets, sched []int, r int, opt Options) error {
	prev, n := 0, sched[r]
	if r > 0 {
		prev = sched[r-1]
	}
	lo, hi := offsets[prev], offsets[n]
	sink := &keepSink{want: make([][]int, len(st.kept)), got: make([]keptRows, len(st.kept)), width: st.width}
	for l := range sink.want {
		if !m.Config.HasCache(l) {
			continue // no queries: gather hands it nothing
		}
		var want []int
		for _, end := range sched[r:] {
			for _, p := range samplePositions(opt.Seed, l, offsets[end], opt.Samples) {
				if p >= lo && p < hi {
					want = append(want, p-lo)
				}
			}
		}
		slices.Sort(want)
		sink.want[l] = slices.Compact(want)
	}
	ropt := opt
	if opt.CheckpointDir != "" {
		ropt.CheckpointDir = roundDir(opt.CheckpointDir, n)
	}
	if opt.Progress != nil {
		ropt.Progress = func(l, s int) { opt.Progress(l, prev+s) }
	}
	if err := gather(m, seqs[prev:n], ropt, sink); err != nil {
		return err
	}
	for l, g := range sink.got {
		k := &st.kept[l]
		for _, p := range g.pos {
			k.pos = append(k.pos, p+lo)
		}
		k.rows = append(k.rows, g.rows...)
	}
	return nil
}

// solve computes the result of the first n sequences from the kept rows, as
// Run's solveSink does from the same rows.
func (st *untilState) solve(c *model.Config, offsets []int, n int, opt Options) (*Result, Round, error) {
	res := newResultFor(c)
	s := &solveSink{res: res, rule: opt.Sign, seqOf: offsetsSeqOf(offsets[:n+1])}
	for l := range st.kept {
		if !c.HasCache(l) {
			if err := s.layer(l, nil, nil); err != nil {
				return nil, Round{}, fmt.Errorf("layer %d: %w", l, err)
			}
			continue
		}
		positions := samplePositions(opt.Seed, l, offsets[n], opt.Samples)
		rows, err := st.kept[l].pick(positions, st.width)
		if err != nil {
			return nil, Round{}, fmt.Errorf("layer %d: %w", l, err)
		}
		if err := s.layer(l, positions, rows); err != nil {
			return nil, Round{}, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	rep := Round{Sequences: n, Tokens: offsets[n], MinStability: math.NaN()}
	if res.Stability != nil {
		rep.MinStability = math.Inf(1)
		// Layers without a cache and a narrower layer's padding kv heads
		// hold zeros that measure nothing.
		scan := func(level string, v []float32, heads int, real func(l int) int) {
			for i, x := range v {
				l, h := i/heads, i%heads
				if !hasCache(res.NoCache, l) || h >= real(l) {
					continue
				}
				if float64(x) < rep.MinStability {
					rep.MinStability, rep.Level, rep.Layer, rep.Head = float64(x), level, l, h
				}
			}
		}
		scan("query", res.Stability, res.Heads, func(int) int { return res.Heads })
		scan("kv", res.StabilityKV, res.KVHeads, res.kvOf)
	}
	return res, rep, nil
}

// pick returns the kept rows at positions (increasing), in their order.
func (k *keptRows) pick(positions []int, width int) ([]float32, error) {
	out := make([]float32, 0, len(positions)*width)
	i := 0
	for _, p := range positions {
		for i < len(k.pos) && k.pos[i] < p {
			i++
		}
		if i == len(k.pos) || k.pos[i] != p {
			return nil, fmt.Errorf("position %d was not kept (an incomplete until-stable checkpoint?)", p)
		}
		out = append(out, k.rows[i*width:(i+1)*width]...)
	}
	return out, nil
}

func (st *untilState) save(path string, identity map[string]string) error {
	meta := map[string]string{"until_next_round": strconv.Itoa(st.next)}
	for k, v := range identity {
		meta[k] = v
	}
	var ts []safetensors.Tensor
	for l, k := range st.kept {
		pos := make([]int64, len(k.pos))
		for i, p := range k.pos {
			pos[i] = int64(p)
		}
		ts = append(ts, i64Tensor(fmt.Sprintf("positions.%d", l), pos), f32Tensor(fmt.Sprintf("rows.%d", l), k.rows, len(k.pos), st.width))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return safetensors.Write(path, ts, meta)
}

// load restores the state saved after a completed round, if there is one.
func (st *untilState) load(path string, identity map[string]string, rounds int) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	ck, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("resume checkpoint: %w", err)
	}
	defer ck.Close()
	meta := ck.Metadata()
	for k, v := range identity {
		if meta[k] != v {
			return fmt.Errorf("checkpoint %s was written for other inputs: %s (checkpoint vs this run); remove it to start over", filepath.Dir(path), identityDiff(k, meta[k], v))
		}
	}
	next, err := strconv.Atoi(meta["until_next_round"])
	if err != nil || next < 1 || next >= rounds {
		return fmt.Errorf("checkpoint %s: invalid until_next_round %q", path, meta["until_next_round"])
	}
	for l := range st.kept {
		pos, err := readI64(ck, fmt.Sprintf("positions.%d", l))
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		rows, n, err := readRows(ck, fmt.Sprintf("rows.%d", l), st.width)
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if n != len(pos) {
			return fmt.Errorf("checkpoint %s: layer %d: %d rows for %d positions", path, l, n, len(pos))
		}
		k := &st.kept[l]
		k.rows = rows
		for i, p := range pos {
			if p < 0 || i > 0 && p <= pos[i-1] {
				return fmt.Errorf("checkpoint %s: layer %d: positions not increasing", path, l)
			}
			k.pos = append(k.pos, int(p))
		}
	}
	st.next = next
	return nil
}

// keepSink keeps a round's rows at the positions it wants (relative to the
// round's sequences).
type keepSink struct {
	want  [][]int
	got   []keptRows
	width int
}

func (s *keepSink) positions(l int) []int { return s.want[l] }

func (s *keepSink) layer(l int, positions []int, rows []float32) error {
	s.got[l] = keptRows{pos: slices.Clone(positions), rows: rows}
	return nil
}

func (s *keepSink) tensors(from, to int) []safetensors.Tensor {
	var out []safetensors.Tensor
	for l := from; l < to; l++ {
		g := s.got[l]
		pos := make([]int64, len(g.pos))
		for i, p := range g.pos {
			pos[i] = int64(p)
		}
		out = append(out, i64Tensor(fmt.Sprintf("positions.%d", l), pos), f32Tensor(fmt.Sprintf("rows.%d", l), g.rows, len(g.pos), s.width))
	}
	return out
}

func (s *keepSink) restore(ck tensorReader, layers int) error {
	for l := range layers {
		pos, err := readI64(ck, fmt.Sprintf("positions.%d", l))
		if err != nil {
			return err
		}
		rows, n, err := readRows(ck, fmt.Sprintf("rows.%d", l), s.width)
		if err != nil {
			return err
		}
		if n != len(pos) || len(pos) != len(s.want[l]) {
			return fmt.Errorf("layer %d: %d rows, %d positions, %d wanted", l, n, len(pos), len(s.want[l]))
		}
		g := keptRows{rows: rows}
		for i, p := range pos {
			if int(p) != s.want[l][i] {
				return fmt.Errorf("layer %d: position %d is %d, want %d", l, i, p, s.want[l][i])
			}
			g.pos = append(g.pos, int(p))
		}
		s.got[l] = g
	}
	return nil
}
