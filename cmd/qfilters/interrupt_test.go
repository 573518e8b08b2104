//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterrupt builds the binary, starts a calibration of the embedded
// model long enough to be interrupted (96 x 380 tokens, every sample: a few
// seconds), signals it once it is calibrating, and checks that it stops
// cleanly: non-zero exit, one line on stderr saying so, no output and no
// temporary directory left behind; with --force over an existing output,
// the old directory is left exactly as it was.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs calibrations")
	}
	bin := qfiltersBinary(t)
	for _, c := range []struct {
		name  string
		sig   syscall.Signal
		force bool
	}{
		{"SIGINT", syscall.SIGINT, false},
		{"SIGTERM", syscall.SIGTERM, false},
		{"SIGINT with --force over an existing output", syscall.SIGINT, true},
		{"SIGTERM with --force over an existing output", syscall.SIGTERM, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir() // TMPDIR of the run: where the embedded model is extracted
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			args := []string{"calibrate", "--out", out, "--num-seqs", "96", "--seq-len", "380", "--samples", "all"}
			if c.force {
				if err := os.Mkdir(out, 0o755); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(out, "keep.txt"), []byte("mine"))
				args = append(args, "--force")
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// The embedded model is extracted into TMPDIR after the signal
			// handler is installed; give it a moment more to be calibrating.
			deadline := time.Now().Add(30 * time.Second)
			for {
				if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the run never started")
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatalf("signal: %v (stderr %q)", err, stderr.String())
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 30 s after %v", c.sig)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("finished before the signal took effect (exit 0, stdout %q): make the workload longer", stdout.String())
			}
			if exit.ExitCode() <= 0 {
				t.Errorf("killed by the signal instead of stopping cleanly: %v", exit)
			}
			if msg := stderr.String(); strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "qfilters: ") || !strings.Contains(msg, "interrupted") {
				t.Errorf("stderr is not one line about the interruption: %q", msg)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("left in TMPDIR: %v", names(entries))
			}
			entries, _ := os.ReadDir(parent)
			if !c.force {
				if len(entries) != 0 {
					t.Errorf("left beside the output: %v", names(entries))
				}
				return
			}
			if len(entries) != 1 || entries[0].Name() != "out" {
				t.Errorf("beside the output: %v, want only the old out", names(entries))
			}
			old, _ := os.ReadDir(out)
			if b, _ := os.ReadFile(filepath.Join(out, "keep.txt")); string(b) != "mine" || len(old) != 1 {
				t.Errorf("the existing output was touched: it holds %v", names(old))
			}
		})
	}
}

// TestInterruptWhileBlocked: a run blocked before calibration (here opening a
// FIFO corpus nobody writes to; a stalled network file system is the same)
// must still be stoppable from the keyboard. The first signal only cancels
// the calibration context, which nothing checks yet; the second must end the
// process, as Ctrl-C twice does for most tools, rather than be swallowed.
func TestInterruptWhileBlocked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := qfiltersBinary(t)
	fifo := filepath.Join(dir, "corpus.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	parent := t.TempDir()
	cmd := exec.Command(bin, "calibrate", "--model", storiesSrc, "--corpus", fifo, "--out", filepath.Join(parent, "out"), "--quiet")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
	}()
	time.Sleep(500 * time.Millisecond)
	for i := range 2 {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("exit 0")
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("left beside the output: %v", names(entries))
			}
			return
		case <-time.After(2 * time.Second):
			t.Logf("still running 2 s after SIGINT #%d", i+1)
		}
	}
	t.Fatalf("Ctrl-C twice does not stop a run blocked on its corpus (stderr %q); only SIGKILL does", stderr.String())
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
