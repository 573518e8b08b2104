package eval

import (
	"errors"
	"fmt"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/model"
)

// ContextReport is the context recall of every method: Methods[name][r] at
// Ratios[r], averaged over continuation queries, query heads, layers and
// sequences.
type ContextReport struct {
	Context int                  `json:"context"`
	Ratios  []int                `json:"ratios"`
	Methods map[string][]float64 `json:"methods"`
	// Continuation is the number of continuation queries per head and sequence.
	Continuation int `json:"continuation"`
	// SnapKVWindow is the observation window SnapKV used.
	SnapKVWindow int `json:"snapkv_window"`
	// Order lists the methods in report order (Methods is a map).
	Order []string `json:"order"`
}

// CheckExpStats reports statistics that do not fit the model.
func CheckExpStats(c *model.Config, s *export.ExpStats) error {
	if s.Layers != c.Layers || s.Heads != c.Heads || s.HeadDim != c.MaxHeadDim() {
		return fmt.Errorf("statistics are [%d layers, %d heads, %d head dim] but the model has [%d layers, %d heads, %d head dim]",
			s.Layers, s.Heads, s.HeadDim, c.Layers, c.Heads, c.MaxHeadDim())
	}
	return nil
}

// contextRun accumulates the context recall over sequences.
type contextRun struct {
	opt     ContextOptions
	sums    [][][]float64 // [layer][method][ratio]
	queries []int         // per layer
	mean    [][][]float64 // [layer][head] rotated statistics, nil without
	cov     [][][]float64
}

func newContextRun(c *model.Config, opt ContextOptions, s *export.ExpStats) (*contextRun, error) {
	cr := &contextRun{opt: opt.withDefaults(), sums: make([][][]float64, c.Layers), queries: make([]int, c.Layers)}
	for l := range cr.sums {
		cr.sums[l] = make([][]float64, len(ContextMethods))
		for m := range cr.sums[l] {
			cr.sums[l][m] = make([]float64, len(cr.opt.Ratios))
		}
	}
	if s == nil {
		return cr, nil
	}
	if err := CheckExpStats(c, s); err != nil {
		return nil, err
	}
	// kvpress rotates the statistics by the mean rotation of the
	// n_future_positions positions after the compressed context.
	D := c.MaxHeadDim() // the statistics are padded to the largest head dim
	cr.mean = make([][][]float64, c.Layers)
	cr.cov = make([][][]float64, c.Layers)
	for l := range c.Layers {
		d := c.HeadDimOf(l)
		rotary, cos, sin := c.RotaryTable(l, opt.Context, opt.Context+FuturePosition)
		R := c.RotationLayout(AverageRotation(d, rotary, cos, sin), d, rotary)
		cr.mean[l] = make([][]float64, c.Heads)
		cr.cov[l] = make([][]float64, c.Heads)
		for h := range c.Heads {
			i := l*c.Heads + h
			cov := make([]float32, d*d)
			for a := range d {
				copy(cov[a*d:(a+1)*d], s.Cov[i*D*D+a*D:i*D*D+a*D+d])
			}
			cr.mean[l][h], cr.cov[l][h] = Rotate(R, s.Mean[i*D:i*D+d], cov, d)
		}
	}
	return cr, nil
}

// layer adds one layer of one sequence: q [seq][H·d], k and v [seq][G·d],
// post-RoPE, sinks [H] or nil; accs[h] holds query head h's rows (see
// ctxAcc, rows with the sinks already in their softmax). The kv heads run
// in parallel, their sums are added in order.
func (cr *contextRun) layer(c *model.Config, l int, q, k, v, sinks []float32, f *export.Filters, scale float64, seed uint64, accs []*ctxAcc) error {
	d, H, G := c.HeadDimOf(l), c.Heads, c.KVHeadsOf(l)
	group := H / G
	stats := make([]*ContextStats, G)
	errs := make([]error, G)
	parallel(G, func(g int) {
		cg := ContextGroup{Keys: headRows(k, G, g, d), Values: headRows(v, G, g, d), Filter: f.Filter(l, g)[:d],
			Scale: scale, Softcap: c.AttnSoftcap, Window: layerWindow(c, l), Chunk: layerChunk(c, l), Seed: mix(seed, uint64(l), uint64(g))}
		for h := g * group; h < (g+1)*group; h++ {
			cg.Queries = append(cg.Queries, headRows(q, H, h, d))
			if sinks != nil {
				cg.Sinks = append(cg.Sinks, float64(sinks[h]))
			}
			if cr.mean != nil {
				cg.ExpMean = append(cg.ExpMean, cr.mean[l][h])
				cg.ExpCov = append(cg.ExpCov, cr.cov[l][h])
			}
		}
		stats[g], errs[g] = contextFinish(cg, cr.opt, accs[g*group:(g+1)*group])
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, st := range stats {
		cr.queries[l] += st.Queries
		for m := range st.Recall {
			for r, x := range st.Recall[m] {
				cr.sums[l][m][r] += x
			}
		}
	}
	return nil
}

func (cr *contextRun) report(seqLen int) *ContextReport {
	rep := &ContextReport{Context: cr.opt.Context, Ratios: cr.opt.Ratios, Methods: map[string][]float64{},
		Continuation: seqLen - cr.opt.Context, SnapKVWindow: cr.opt.Window}
	for m, name := range ContextMethods {
		if name == ExpectedAttention && cr.mean == nil {
			continue
		}
		mean := make([]float64, len(cr.opt.Ratios))
		layers := 0
		for l := range cr.sums {
			if cr.queries[l] == 0 {
				continue
			}
			layers++
			for r := range mean {
				mean[r] += cr.sums[l][m][r] / float64(cr.queries[l])
			}
		}
		for r := range mean {
			mean[r] /= float64(max(layers, 1))
		}
		rep.Methods[name] = mean
		rep.Order = append(rep.Order, name)
	}
	return rep
}
