package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws calibration progress on stderr: one step per sequence per
// layer, with the forward throughput in tokens/s (a token counts once it has
// passed every layer) and the ETA.
type progress struct {
	bar            *progressbar.ProgressBar
	layers, seqLen int
	start          time.Time
}

func newProgress(w io.Writer, enabled bool, layers, seqs, seqLen int) *progress {
	p := &progress{layers: layers, seqLen: seqLen, start: time.Now()}
	if !enabled {
		return p
	}
	p.bar = progressbar.NewOptions(layers*seqs,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("layer 1/"+fmt.Sprint(layers)),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// step records that sequence seq of layer has been processed.
func (p *progress) step(layer, seq int) {
	if p.bar == nil {
		return
	}
	done := p.bar.State().CurrentNum + 1
	tokens := float64(done) * float64(p.seqLen) / float64(p.layers)
	rate := tokens / time.Since(p.start).Seconds()
	p.bar.Describe(fmt.Sprintf("layer %d/%d · %.0f tokens/s", layer+1, p.layers, rate))
	p.bar.Add(1)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
