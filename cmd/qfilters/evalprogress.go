package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// evalProgress draws eval's progress on stderr: one bar per stage (the
// recall views, one step per sequence and layer; the streaming perplexity,
// one step per sequence and layer plus its logits), with the stage's
// throughput in tokens/s and its ETA, as calibrate shows.
type evalProgress struct {
	w     io.Writer
	stage string
	bar   *progressbar.ProgressBar
	start time.Time // the stage's start: the previous stage's last step
	last  time.Time
	// tokens the stage processes in all (the perplexity runs every method's
	// cache over each sequence)
	tokens map[string]float64
}

func newEvalProgress(w io.Writer, recallTokens, pplTokens float64) *evalProgress {
	return &evalProgress{w: w, last: time.Now(), tokens: map[string]float64{"recall": recallTokens, "perplexity": pplTokens}}
}

func (p *evalProgress) update(stage string, done, total int) {
	if stage != p.stage || p.bar == nil {
		p.finish()
		p.stage, p.start = stage, p.last
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(stage),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	rate := p.tokens[stage] * float64(done) / float64(total) / time.Since(p.start).Seconds()
	p.bar.Describe(fmt.Sprintf("%s · %.0f tokens/s", stage, rate))
	p.bar.Set(done)
	p.last = time.Now()
}

func (p *evalProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
