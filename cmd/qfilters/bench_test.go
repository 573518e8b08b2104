package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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

// TestBenchBadSettings: the end-to-end run's settings are usage errors at
// once, before minutes of GEMM measurements and a synthetic checkpoint (a
// bad --precision used to surface as "calibration failed: exit status 2"
// with exit 1, after both).
func TestBenchBadSettings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--precision", "f16"}, `--precision must be f32 or bf16, got "f16"`},
		{[]string{"--seqs", "0"}, "--num-seqs must be positive, got 0"},
		{[]string{"--num-seqs", "0"}, "--num-seqs must be positive, got 0"},
		{[]string{"--seq-len", "-1"}, "--seq-len must be positive, got -1"},
		{[]string{"--preset", "nope"}, `unknown preset "nope"`},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"bench", "--preset", "small"}, tc.args...)...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "qfilters: "+tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("bench %v: exit %d, stdout %q, stderr %q", tc.args, code, stdout, stderr)
		}
	}
}

// TestBenchSmallPresetShapes: --preset small measures the preset's own
// layer shapes (the standard ones multiply 2048 x 14336 matrices), and the
// help lists every preset.
func TestBenchSmallPresetShapes(t *testing.T) {
	shapes := gemmShapes(benchOptions{Preset: "small", SeqLen: 256})
	for _, s := range shapes {
		if s[0] != 256 || s[1] > 688 || s[2] > 688 {
			t.Errorf("small preset measures %v", s)
		}
	}
	if got := gemmShapes(benchOptions{Preset: "llama-3.2-1b", SeqLen: 2048}); len(got) != len(benchShapes) || got[3] != benchShapes[3] {
		t.Errorf("default preset shapes %v", got)
	}
	help, _, err := execute(t, "bench", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range synth.Names() {
		if !strings.Contains(help, name) {
			t.Errorf("bench --help does not list preset %s", name)
		}
	}
}
