package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/kernels"
	"github.com/qfilters/qfilters/model"
	"github.com/qfilters/qfilters/synth"
)

func init() { commands = append(commands, newBenchCmd) }

type benchOptions struct {
	Preset, Model     string
	Seqs, SeqLen      int
	Precision         string
	JSON, Quiet       bool
	SkipGEMM, SkipE2E bool

	presetSet           bool
	modelDir, modelName string // --model resolved, checked before any measurement
}

func newBenchCmd() *cobra.Command {
	var opt benchOptions
	cmd := &cobra.Command{
		Use:   "bench [--preset NAME] [--json]",
		Short: "Measure GEMM GFLOP/s and end-to-end calibration speed on this machine",
		Long: `Bench measures the matrix-product kernels at the standard shapes (M=2048 with
(K,N) = (2048,2048), (2048,8192), (4096,4096), (4096,14336), and M=512,
K=N=4096; bf16 weights, float32 and bf16 compute), then times a whole
calibration (a separate qfilters process, with --resume as a scheduled job
runs it) of a synthetic checkpoint of the preset's shapes written to a
temporary directory: tokens/s, effective GFLOP/s (counted FLOPs of the forward
pass / wall time), peak RSS, and the share of the time its checkpoints took.

A preset narrower than 2048 (small) measures its own layer shapes instead of
the standard ones (M = --seq-len; hidden to hidden, hidden to intermediate,
intermediate to hidden), so that it stays small throughout.

Presets: ` + strings.Join(synth.Names(), ", ") + ` (qfilters synth writes them).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.presetSet = cmd.Flags().Changed("preset")
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			return runBench(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Preset, "preset", "llama-3.2-1b", "synthetic model shape for the end-to-end run")
	f.StringVar(&opt.Model, "model", "", "use this model (a checkpoint `DIR`, a .gguf file or a Hugging Face id in the local cache) instead of writing a synthetic one")
	f.IntVar(&opt.Seqs, "num-seqs", 4, "calibration sequences of the end-to-end run")
	f.IntVar(&opt.Seqs, "seqs", 4, "")
	f.MarkHidden("seqs") // the old spelling, kept for scripts
	f.IntVar(&opt.SeqLen, "seq-len", 2048, "tokens per sequence of the end-to-end run")
	f.StringVar(&opt.Precision, "precision", "f32", "arithmetic of the end-to-end run's matrix products: f32 or bf16")
	f.BoolVar(&opt.JSON, "json", false, "print the results as JSON")
	f.BoolVar(&opt.Quiet, "quiet", false, quietHelp)
	f.BoolVar(&opt.SkipGEMM, "skip-gemm", false, "skip the GEMM measurements")
	f.BoolVar(&opt.SkipE2E, "skip-e2e", false, "skip the end-to-end calibration")
	return cmd
}

type gemmResult struct {
	M, K, N int
	Compute string  `json:"compute"`
	GFLOPs  float64 `json:"gflops"`
	// GFLOP per CPU-second x threads: what the wall figure would be with
	// every core to ourselves, steadier on a shared machine (0 where the OS
	// gives no process CPU time).
	GFLOPsCPU float64 `json:"gflops_cpu,omitempty"`
}

type e2eResult struct {
	Model           string  `json:"model"`
	Precision       string  `json:"precision"`
	Seqs            int     `json:"seqs"`
	SeqLen          int     `json:"seq_len"`
	Seconds         float64 `json:"seconds"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	GFLOP           float64 `json:"gflop"`
	GFLOPs          float64 `json:"effective_gflops"`
	CPUSeconds      float64 `json:"cpu_seconds"`           // user + system time of the calibration
	GFLOPsCPU       float64 `json:"effective_gflops_cpu"`  // GFLOP per CPU-second x threads
	PeakRSSMB       float64 `json:"peak_rss_mb,omitempty"` // 0 where the OS gives no figure
	// The run checkpoints as --resume does by default (--checkpoint-every
	// auto): how many it wrote, the time they took and its share of the run.
	Checkpoints        int     `json:"checkpoints"`
	CheckpointSeconds  float64 `json:"checkpoint_seconds"`
	CheckpointOverhead float64 `json:"checkpoint_overhead"`
}

type benchReport struct {
	Version string       `json:"version"` // what ran, so a pasted report stands alone
	OSArch  string       `json:"os_arch"`
	CPUPath string       `json:"kernel_path"`
	Threads int          `json:"threads"`
	GEMM    []gemmResult `json:"gemm,omitempty"`
	E2E     *e2eResult   `json:"end_to_end,omitempty"`
}

var benchShapes = [][3]int{{2048, 2048, 2048}, {2048, 2048, 8192}, {2048, 4096, 4096}, {2048, 4096, 14336}, {512, 4096, 4096}}

// gemmShapes are the standard shapes (comparable across machines and
// runs), or a narrow preset's own layer shapes (M, K, N).
func gemmShapes(opt benchOptions) [][3]int {
	p, err := synth.Lookup(opt.Preset)
	if opt.Model != "" || err != nil || p.Hidden >= 2048 {
		return benchShapes
	}
	m := opt.SeqLen
	return [][3]int{{m, p.Hidden, p.Hidden}, {m, p.Hidden, p.Intermediate}, {m, p.Intermediate, p.Hidden}}
}

func runBench(ctx context.Context, stdout, stderr io.Writer, opt benchOptions) error {
	// The end-to-end run's settings are checked before the GEMM measurements
	// and the synthetic checkpoint, which take minutes and gigabytes.
	if !opt.SkipE2E {
		if opt.Precision != "f32" && opt.Precision != "bf16" {
			return usageError{fmt.Errorf("--precision must be f32 or bf16, got %q", opt.Precision)}
		}
		if opt.Seqs <= 0 {
			return usageError{fmt.Errorf("--num-seqs must be positive, got %d", opt.Seqs)}
		}
		if opt.SeqLen <= 0 {
			return usageError{fmt.Errorf("--seq-len must be positive, got %d", opt.SeqLen)}
		}
		if opt.Model == "" {
			if _, err := synth.Lookup(opt.Preset); err != nil {
				return usageError{err}
			}
		} else {
			if opt.presetSet {
				return usageError{errors.New("--preset and --model exclude each other: --preset names the synthetic checkpoint written when no --model is given")}
			}
			// Any source calibrate takes: a directory, a model file, a hub
			// id; opened once to refuse a bad one now, not after the GEMMs.
			dir, name, _, err := resolveModel(opt.Model, "")
			if err != nil {
				return err
			}
			m, err := model.Open(dir)
			if err != nil {
				return err
			}
			m.Close()
			opt.modelDir, opt.modelName = dir, name
		}
	}
	rep := benchReport{Version: version, OSArch: runtime.GOOS + "/" + runtime.GOARCH,
		CPUPath: kernels.CurrentPath(), Threads: runtime.GOMAXPROCS(0)}
	if !opt.SkipGEMM {
		for _, s := range gemmShapes(opt) {
			for _, compute := range []string{"f32", "bf16"} {
				if ctx.Err() != nil {
					return errors.New("interrupted")
				}
				g, gc := benchGEMM(s[0], s[1], s[2], compute == "bf16")
				rep.GEMM = append(rep.GEMM, gemmResult{M: s[0], K: s[1], N: s[2], Compute: compute, GFLOPs: g, GFLOPsCPU: gc})
				if !opt.JSON {
					fmt.Fprintf(stdout, "gemm M=%-5d K=%-5d N=%-6d bf16 weights, %-4s compute: %6.1f GFLOP/s (%.1f per CPU-second x %d)\n",
						s[0], s[1], s[2], compute, g, gc, rep.Threads)
				}
			}
		}
	}
	if !opt.SkipE2E {
		e, err := benchE2E(ctx, stderr, opt)
		if err != nil {
			return err
		}
		rep.E2E = e
		if !opt.JSON {
			rss := "peak RSS not reported by this OS"
			if e.PeakRSSMB > 0 {
				rss = fmt.Sprintf("peak RSS %.0f MB", e.PeakRSSMB)
			}
			fmt.Fprintf(stdout, "calibrate %s (%s), %d x %d tokens: %.1fs (%.1f CPU-seconds), %.0f tokens/s, %.0f GFLOP in the forward pass = %.1f GFLOP/s effective (%.1f per CPU-second x %d), %s\n",
				e.Model, e.Precision, e.Seqs, e.SeqLen, e.Seconds, e.CPUSeconds, e.TokensPerSecond, e.GFLOP, e.GFLOPs, e.GFLOPsCPU, rep.Threads, rss)
			fmt.Fprintf(stdout, "--resume checkpoints (auto): %d written in %.2fs, %.1f%% of the run\n",
				e.Checkpoints, e.CheckpointSeconds, 100*e.CheckpointOverhead)
		}
	}
	if opt.JSON {
		return printJSON(stdout, rep)
	}
	fmt.Fprintf(stdout, "kernel path %s, %d threads\n", rep.CPUPath, rep.Threads)
	return nil
}

// benchGEMM returns the median GFLOP/s of dst = a·wᵀ with bf16 weights w
// [n][k], over repetitions filling about a second, and the median GFLOP per
// CPU-second x GOMAXPROCS (0 without process CPU times).
func benchGEMM(m, k, n int, bf16 bool) (wall, cpu float64) {
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]float32, m*k)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	w := kernels.Matrix{Rows: n, Cols: k, DType: kernels.BF16, Data: make([]byte, 2*n*k)}
	for i := 0; i < n*k; i++ {
		binary.LittleEndian.PutUint16(w.Data[2*i:], uint16(math.Float32bits(float32(r.NormFloat64()*0.02))>>16))
	}
	dst := make([]float32, m*n)
	run := func() (time.Duration, time.Duration) {
		start, cpu0 := time.Now(), processCPU()
		if bf16 {
			kernels.MatMulTBF16(dst, a, m, w)
		} else {
			kernels.MatMulT(dst, a, m, w)
		}
		return time.Since(start), processCPU() - cpu0
	}
	run() // warm up
	var times, cpus []float64
	for total := time.Duration(0); len(times) < 3 || (total < time.Second && len(times) < 20); {
		d, c := run()
		total += d
		times = append(times, d.Seconds())
		cpus = append(cpus, c.Seconds())
	}
	sort.Float64s(times)
	sort.Float64s(cpus)
	flop := 2 * float64(m) * float64(n) * float64(k)
	wall = flop / times[len(times)/2] / 1e9
	if c := cpus[len(cpus)/2]; c > 0 {
		cpu = flop / c / 1e9 * float64(runtime.GOMAXPROCS(0))
	}
	return wall, cpu
}

// benchE2E calibrates a checkpoint in a child process and reads its time
// and peak RSS.
// An interrupt stops the child and removes the temporary directory (the
// synthetic checkpoint, gigabytes at the default preset) before returning.
func benchE2E(ctx context.Context, stderr io.Writer, opt benchOptions) (*e2eResult, error) {
	tmp, err := os.MkdirTemp("", "qfilters-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	interrupted := func() error {
		return fmt.Errorf("interrupted: removed the temporary directory %s", tmp)
	}
	dir, name := opt.modelDir, opt.modelName
	if dir == "" {
		p, err := synth.Lookup(opt.Preset)
		if err != nil {
			return nil, usageError{err}
		}
		dir, name = filepath.Join(tmp, opt.Preset), opt.Preset+" (synthetic)"
		if !opt.Quiet {
			fmt.Fprintf(stderr, "writing a synthetic %s checkpoint (%.1f GB) to %s\n", opt.Preset, float64(p.Params())*2/1e9, dir)
		}
		if err := synth.WriteContext(ctx, dir, p, 1); err != nil {
			if ctx.Err() != nil {
				return nil, interrupted()
			}
			return nil, err
		}
	}
	m, err := model.Open(dir)
	if err != nil {
		return nil, err
	}
	cfg := m.Config
	m.Close()
	// Random token ids, pre-tokenized: no tokenizer needed.
	var corpus bytes.Buffer
	r := rand.New(rand.NewPCG(3, 4))
	for s := 0; s < opt.Seqs; s++ {
		ids := make([]int, opt.SeqLen)
		for i := range ids {
			ids[i] = r.IntN(cfg.Vocab)
		}
		line, _ := json.Marshal(map[string][]int{"input_ids": ids})
		corpus.Write(append(line, '\n'))
	}
	corpusPath := filepath.Join(tmp, "ids.jsonl")
	if err := os.WriteFile(corpusPath, corpus.Bytes(), 0o644); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if !opt.Quiet {
		fmt.Fprintf(stderr, "calibrating %s on %d x %d tokens\n", name, opt.Seqs, opt.SeqLen)
	}
	if ctx.Err() != nil {
		return nil, interrupted()
	}
	cmd := exec.CommandContext(ctx, self, "calibrate", "--model", dir, "--corpus", corpusPath, "--out", filepath.Join(tmp, "out"),
		"--seq-len", fmt.Sprint(opt.SeqLen), "--num-seqs", fmt.Sprint(opt.Seqs), "--precision", opt.Precision, "--json", "--quiet", "--resume")
	// The child stops as an interrupted calibrate does (its message, which
	// names a checkpoint about to be removed, is not shown).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, interrupted()
		}
		return nil, fmt.Errorf("calibration failed: %v: %s", err, bytes.TrimSpace(errb.Bytes()))
	}
	wall := time.Since(start).Seconds()
	var sum calibrateSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return nil, fmt.Errorf("calibration output: %v", err)
	}
	res := &e2eResult{Model: name, Precision: opt.Precision, Seqs: opt.Seqs, SeqLen: opt.SeqLen, Seconds: wall,
		TokensPerSecond: float64(opt.Seqs*opt.SeqLen) / wall, GFLOP: cfg.CalibrationFLOPs(opt.Seqs, opt.SeqLen) / 1e9}
	res.GFLOPs = res.GFLOP / wall
	res.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	if res.CPUSeconds > 0 {
		res.GFLOPsCPU = res.GFLOP / res.CPUSeconds * float64(runtime.GOMAXPROCS(0))
	}
	res.Checkpoints, res.CheckpointSeconds = sum.Checkpoints, sum.CheckpointSeconds
	res.CheckpointOverhead = sum.CheckpointSeconds / wall
	if mb, ok := peakRSSMB(cmd.ProcessState); ok {
		res.PeakRSSMB = mb
	}
	return res, nil
}
