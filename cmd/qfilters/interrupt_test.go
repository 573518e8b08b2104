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

// TestInterrupt starts a calibration of the embedded model on a corpus
// read from a FIFO the test holds, signals it while it waits there for its
// text, then delivers the text, and checks that it stops cleanly: non-zero
// exit (130 after SIGINT, 143 after SIGTERM), one line on stderr saying so, no output and no temporary directory
// left behind; with --force over an existing output, the old directory is
// left exactly as it was. The run cannot end before the signal: it has no
// text until the test sends it.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs calibrations")
	}
	bin := qfiltersBinary(t)
	text, err := os.ReadFile(storiesCorpus)
	if err != nil {
		t.Fatal(err)
	}
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
			fifo := filepath.Join(t.TempDir(), "corpus.jsonl")
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Skip(err)
			}
			out := filepath.Join(parent, "out")
			// A workload of seconds: should the signal somehow be seen only
			// after the corpus is read, calibration still notices it.
			args := []string{"calibrate", "--corpus", fifo, "--out", out, "--num-seqs", "96", "--seq-len", "380", "--samples", "all"}
			var old map[string]string
			if c.force { // an earlier run's output, which --force may replace
				if code, _, stderr := runCLI(t, "calibrate", "--out", out, "--quiet", "--num-seqs", "2", "--seq-len", "64"); code != 0 {
					t.Fatal(stderr)
				}
				old = snapshot(t, out)
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
			// Opening the FIFO for writing returns once the run has opened
			// it for reading: it is then running, its signal handler
			// installed, and waiting for text.
			opened := make(chan *os.File, 1)
			go func() {
				if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					opened <- w
				}
			}()
			var w *os.File
			select {
			case w = <-opened:
			case err := <-done:
				t.Fatalf("the run ended before reading its corpus: %v (stderr %q)", err, stderr.String())
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the run never opened its corpus")
			}
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatalf("signal: %v (stderr %q)", err, stderr.String())
			}
			// Let the signal be handled before the run gets any text (the
			// run cannot proceed without it whatever the delay).
			time.Sleep(100 * time.Millisecond)
			w.Write(text) // an error here means the run stopped reading: fine
			w.Close()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 60 s after %v", c.sig)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("ignored %v: finished with exit 0 (stdout %q)", c.sig, stdout.String())
			}
			if want := 128 + int(c.sig); exit.ExitCode() != want {
				t.Errorf("exit %v, want %d as shells expect after %v (-1: killed by the signal instead of stopping cleanly)", exit.ExitCode(), want, c.sig)
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
			if !sameFiles(old, snapshot(t, out)) {
				t.Error("the existing output was touched")
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

// TestBenchInterrupt: SIGINT while bench's calibration runs stops the child,
// removes the temporary directory with its synthetic checkpoint (2.5 GB at
// the default preset) and exits 130, saying so in one line that does not
// point at the removed checkpoint as something to resume from.
func TestBenchInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a calibration")
	}
	bin := qfiltersBinary(t)
	tmp := t.TempDir()
	cmd := exec.Command(bin, "bench", "--skip-gemm", "--preset", "small", "--seqs", "8", "--seq-len", "2048")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The corpus is written just before the child starts.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(tmp, "qfilters-bench-*", "ids.jsonl")); len(m) == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("bench ended before its calibration started: %v (%s)", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("bench never started its calibration")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 30 s after SIGINT")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("exit %v, want 130 (stderr %q)", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "qfilters: interrupted: removed the temporary directory") || strings.Contains(stderr.String(), "--resume") {
		t.Errorf("stderr %q", stderr.String())
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("left in TMPDIR: %v", names(entries))
	}
}
