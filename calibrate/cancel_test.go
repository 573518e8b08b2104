package calibrate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/safetensors"
)

// stalledWeights serves a model's tensors but holds every read of one
// layer's tensors until released: a checkpoint on a stalled network file
// system.
type stalledWeights struct {
	model.Weights
	prefix  string        // tensors whose names start with it stall
	stalled chan struct{} // closed when the first stalled read starts
	release chan struct{} // closing it lets stalled reads finish
	once    sync.Once
}

func (w *stalledWeights) Tensor(name string) (safetensors.Tensor, error) {
	if strings.HasPrefix(name, w.prefix) {
		w.once.Do(func() { close(w.stalled) })
		<-w.release
	}
	return w.Weights.Tensor(name)
}

// TestCancelDuringLayerRead: cancelling the context while the run waits for
// a layer's weights returns at once with the context's error, instead of
// after the read. Layer 0 stalls: nothing else checks the context before the
// run waits for it.
func TestCancelDuringLayerRead(t *testing.T) {
	base := tinyModel(t)
	w := &stalledWeights{Weights: base.Weights(), prefix: "model.layers.0.",
		stalled: make(chan struct{}), release: make(chan struct{})}
	m, err := model.New(base.Dir, base.Config, w)
	if err != nil {
		t.Fatal(err)
	}
	defer close(w.release) // let the abandoned read finish
	seqs := randomSeqs(2, 16, base.Config.Vocab)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(m, seqs, Options{Samples: -1, Context: ctx})
		done <- err
	}()
	select {
	case <-w.stalled:
	case err := <-done:
		t.Fatalf("Run ended before reading layer 0: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run still waits for the stalled layer read 20 s after cancellation")
	}
}
