package calibrate

import "time"

// maxCheckpointOverhead is the share of a run's time that automatic
// checkpoints may take: a checkpoint is written when the time since the last
// one is at least 1/maxCheckpointOverhead times what the last one took to
// write. Writing a 70B-shaped run's hidden states (~1.3 GB at 20 x 2048
// tokens) after every layer would cost ~107 GB of writes and fsyncs; at 5%
// a crash loses at most ~20 write-times of work plus a layer.
const maxCheckpointOverhead = 0.05

// cadence decides after which layers a run checkpoints: every Layers layers,
// every Interval, or (both zero) automatically within maxCheckpointOverhead.
type cadence struct {
	layers   int
	interval time.Duration
	last     time.Time     // when the last checkpoint was written, or the run started
	cost     time.Duration // how long the last checkpoint took; 0 before the first
	since    int           // layers computed since then
}

func newCadence(layers int, interval time.Duration, now time.Time) *cadence {
	return &cadence{layers: layers, interval: interval, last: now}
}

// layerDone records one more computed layer and says whether to checkpoint.
func (c *cadence) layerDone(now time.Time) bool {
	c.since++
	switch {
	case c.layers > 0:
		return c.since >= c.layers
	case c.interval > 0:
		return now.Sub(c.last) >= c.interval
	case c.cost == 0:
		// The first checkpoint of a run measures what one costs.
		return true
	}
	return float64(now.Sub(c.last))*maxCheckpointOverhead >= float64(c.cost)
}

// written records a checkpoint that ended at now after taking cost.
func (c *cadence) written(now time.Time, cost time.Duration) {
	c.last, c.cost, c.since = now, max(cost, time.Nanosecond), 0
}
