//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/synth"
)

// TestEvalInterruptIsPrompt: eval of a synthetic model on 2048-token
// sequences (many seconds of recall views and masked forward passes) stops
// within 2 s of SIGINT (it took 24 s when the perplexity decoded token by
// token), with one line on stderr and nothing on stdout. Its
// corpus comes from a FIFO the test holds, so the signal arrives while it
// works: the text is written, then the signal follows half a second later.
func TestEvalInterruptIsPrompt(t *testing.T) {
	bin := qfiltersBinary(t)
	dir := t.TempDir()
	p, err := synth.Lookup("small")
	if err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(dir, "small")
	if err := synth.Write(modelDir, p, 1); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var docs bytes.Buffer
	for range 6 {
		ids := make([]int, 2048)
		for i := range ids {
			ids[i] = rng.IntN(p.Vocab)
		}
		line, _ := json.Marshal(map[string][]int{"input_ids": ids})
		docs.Write(append(line, '\n'))
	}
	// Filters without provenance: eval then does not read the corpus to
	// recognise the calibration's (a FIFO can be read only once).
	filters := filepath.Join(dir, "filters")
	f := &export.Filters{Layers: p.Layers, KVHeads: p.KVHeads, Heads: p.Heads, HeadDim: p.HeadDim,
		QFilters: make([]float32, p.Layers*p.KVHeads*p.HeadDim)}
	for i := range f.QFilters {
		f.QFilters[i] = float32(rng.NormFloat64())
	}
	if err := export.Write(filters, f); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "heldout.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(bin, "eval", "--model", modelDir, "--filters", filters, "--corpus", fifo,
		"--seq-len", "2048", "--max-docs", "6", "--skip-docs", "0", "--quiet")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()
	opened := make(chan *os.File, 1)
	go func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			opened <- w
		}
	}()
	select {
	case w := <-opened:
		w.Write(docs.Bytes())
		w.Close()
	case err := <-done:
		t.Fatalf("eval ended before reading its corpus: %v (stderr %q)", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("eval never opened its corpus")
	}
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("signal: %v (stderr %q)", err, stderr.String())
	}
	sent := time.Now()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after SIGINT")
	}
	took := time.Since(sent)
	t.Logf("stopped %v after SIGINT", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("eval took %v to stop after SIGINT, want at most 2 s", took.Round(time.Millisecond))
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("SIGINT ignored: finished with %v (stdout %q)", err, stdout.String())
	}
	if msg := stderr.String(); strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "interrupted") {
		t.Errorf("stderr is not one line about the interruption: %q", msg)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
}
