package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// shardSpec is a resolved --shard: this worker's index, the number of
// shards, and where the index came from ("" when given on the command line).
type shardSpec struct {
	Index, Count int
	Source       string
}

// shardIndexVars are the environment variables --shard auto reads the index
// from, in this order: an explicit QFILTERS_SHARD wins over what a scheduler
// sets, then Slurm job arrays, then Kubernetes Indexed Jobs.
var shardIndexVars = []string{"QFILTERS_SHARD", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}

// shardCountVars give N for a bare --shard auto.
var shardCountVars = []string{"QFILTERS_SHARDS", "SLURM_ARRAY_TASK_COUNT"}

// parseShard reads --shard: "" (one shard), "i/N" (0-based i), "auto/N" or
// "auto", taking what is not given from the environment through getenv.
func parseShard(s string, getenv func(string) string) (shardSpec, error) {
	if s == "" {
		return shardSpec{Index: 0, Count: 1}, nil
	}
	idx, count, ok := strings.Cut(s, "/")
	if idx != "auto" {
		i, err1 := strconv.Atoi(idx)
		n, err2 := strconv.Atoi(count)
		if !ok || err1 != nil || err2 != nil || strconv.Itoa(i) != idx || strconv.Itoa(n) != count || n < 1 || i < 0 || i >= n {
			return shardSpec{}, fmt.Errorf("--shard must be i/N with 0 <= i < N, auto/N or auto, got %q", s)
		}
		return shardSpec{Index: i, Count: n}, nil
	}
	var spec shardSpec
	if ok {
		n, err := strconv.Atoi(count)
		if err != nil || strconv.Itoa(n) != count || n < 1 {
			return shardSpec{}, fmt.Errorf("--shard auto/N needs a positive N, got %q", s)
		}
		spec.Count = n
	} else {
		for _, v := range shardCountVars {
			if raw := getenv(v); raw != "" {
				n, err := strconv.Atoi(raw)
				if err != nil || n < 1 {
					return shardSpec{}, fmt.Errorf("--shard auto: %s=%q is not a positive number of shards", v, raw)
				}
				spec.Count = n
				break
			}
		}
		if spec.Count == 0 {
			return shardSpec{}, fmt.Errorf("--shard auto: the number of shards is not in the environment (%s); give --shard auto/N", strings.Join(shardCountVars, ", "))
		}
	}
	for _, v := range shardIndexVars {
		raw := getenv(v)
		if raw == "" {
			continue
		}
		i, err := strconv.Atoi(raw)
		if err != nil {
			return shardSpec{}, fmt.Errorf("--shard auto: %s=%q is not a shard index", v, raw)
		}
		spec.Source = fmt.Sprintf("%s=%s", v, raw)
		if v == "SLURM_ARRAY_TASK_ID" {
			// An array may start anywhere (--array=1-8): index from its minimum.
			if lo := getenv("SLURM_ARRAY_TASK_MIN"); lo != "" {
				min, err := strconv.Atoi(lo)
				if err != nil {
					return shardSpec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_MIN=%q is not a number", lo)
				}
				i -= min
				spec.Source += fmt.Sprintf(" - SLURM_ARRAY_TASK_MIN=%s", lo)
			}
		}
		if i < 0 || i >= spec.Count {
			return shardSpec{}, fmt.Errorf("--shard auto: index %d from %s is outside 0..%d", i, spec.Source, spec.Count-1)
		}
		spec.Index = i
		return spec, nil
	}
	return shardSpec{}, fmt.Errorf("--shard auto: no shard index in the environment (set by Slurm job arrays, Kubernetes Indexed Jobs, or QFILTERS_SHARD): looked at %s", strings.Join(shardIndexVars, ", "))
}

// shardFlag resolves --shard from the environment and, when the index came
// from there, says which variable on stderr (unless quiet).
func shardFlag(spec string, quiet bool, stderr io.Writer) (shardSpec, error) {
	s, err := parseShard(spec, os.Getenv)
	if err != nil {
		return s, usageError{err}
	}
	if s.Source != "" && !quiet {
		fmt.Fprintf(stderr, "qfilters: shard %s (index from %s)\n", s, s.Source)
	}
	return s, nil
}

// shardFlagHelp documents --shard for every command that takes it.
const shardFlagHelp = "; auto/N or auto take i (and N) from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or QFILTERS_SHARD (QFILTERS_SHARDS, SLURM_ARRAY_TASK_COUNT)"

// String is the shard as i/N.
func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }
