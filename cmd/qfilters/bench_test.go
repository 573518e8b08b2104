package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/synth"
)

// TestBenchEndToEnd runs `qfilters bench` (a built binary: it calibrates in a
// child process of itself) on the small preset and checks its report.
func TestBenchEndToEnd(t *testing.T) {
	bin := qfiltersBinary(t)
	out, err := exec.Command(bin, "bench", "--skip-gemm", "--preset", "small", "--seqs", "2", "--seq-len", "64", "--json").Output()
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	var rep benchReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	e := rep.E2E
	if e == nil || e.Seqs != 2 || e.SeqLen != 64 || !(e.Seconds > 0) || !(e.TokensPerSecond > 0) {
		t.Fatalf("end-to-end report %+v", e)
	}
	if e.Checkpoints < 1 || !(e.CheckpointSeconds > 0) || !(e.CheckpointOverhead > 0 && e.CheckpointOverhead < 1) {
		t.Errorf("checkpoint figures %+v: the first layer is always checkpointed", e)
	}
	if !(e.CPUSeconds > 0) || !(e.GFLOPsCPU > 0) {
		t.Errorf("CPU figures %v s, %v GFLOP per CPU-second", e.CPUSeconds, e.GFLOPsCPU)
	}
	if (runtime.GOOS == "linux" || runtime.GOOS == "darwin") && !(e.PeakRSSMB > 0) {
		t.Errorf("peak RSS %v on %s, which reports it", e.PeakRSSMB, runtime.GOOS)
	}
	if rep.GEMM != nil || rep.Threads < 1 || rep.CPUPath == "" || rep.Version != version || rep.OSArch != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("report header %+v", rep)
	}
	// The counted FLOPs are the preset's forward pass.
	p, _ := synth.Lookup("small")
	dir := filepath.Join(t.TempDir(), "m")
	if err := synth.Write(dir, p, 1); err != nil {
		t.Fatal(err)
	}
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := cfg.CalibrationFLOPs(2, 64) / 1e9; e.GFLOP != want {
		t.Errorf("counted %v GFLOP, want %v", e.GFLOP, want)
	}
}
