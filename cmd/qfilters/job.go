package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/model"
)

// A job is a command that runs a model over a corpus: calibrate, stats and
// eval. runJob takes each through the same steps in the same order, so that
// every command checks its flags, then its inputs, then its outputs before
// any work, stops the same way on a signal, and reports the same way; the
// command itself only parses flags.
type job interface {
	// checkFlags refuses what the flags alone make wrong.
	checkFlags() error
	// inputFlags names the model (a path or a Hugging Face id), its revision
	// and the corpus, as given ("" for the embedded ones).
	inputFlags() (model, revision, corpus string)
	// plan sees the resolved inputs: it applies the defaults that depend on
	// them (the embedded model's sequence length), names the outputs and
	// checks what depends on them.
	plan(in *inputs) error
	// prepare checks the opened model against the flags and selects the
	// sequences the run reads.
	prepare(in *inputs, m *model.Model) error
	// outputs are the paths the job writes, which must not exist unless
	// force may replace them (checkOutput).
	outputs() (out []jobOutput, force bool)
	// run runs the model; it stops soon after ctx is cancelled.
	run(ctx context.Context, m *model.Model) error
	// write writes the outputs, each to a temporary path renamed into place.
	write(in *inputs) error
	// summary is what --json prints, opened by a jobSummary; seconds is the
	// wall time of run.
	summary(seconds float64) any
	// print writes the summary for people.
	print(w io.Writer, seconds float64) error
}

// jobOutput is a path a job writes: a directory, or a file.
type jobOutput struct {
	path string
	dir  bool
}

// resumable is a job that may find its output already written by this very
// run (calibrate --resume re-submitted): done then skips the run, and the
// summary says so. On an interruption it says where its progress is.
type resumable interface {
	finished(in *inputs) (done bool, err error)
	interruptedNote() string
}

// runJob runs j for the cobra command cmd (its context, stdout and stderr),
// printing the summary as JSON when asJSON.
func runJob(cmd *cobra.Command, j job, asJSON bool) error {
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	return runJobSteps(ctx, cmd.OutOrStdout(), j, asJSON)
}

func runJobSteps(ctx context.Context, stdout io.Writer, j job, asJSON bool) (err error) {
	if err := j.checkFlags(); err != nil {
		return err
	}
	modelArg, revision, corpusArg := j.inputFlags()
	in, err := resolveInputs(modelArg, revision, corpusArg)
	if err != nil {
		return err
	}
	defer in.cleanup()
	defer func() { err = in.named(err) }() // embedded:..., not a temporary path
	if err := j.plan(in); err != nil {
		return err
	}
	m, err := model.Open(in.modelDir)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := j.prepare(in, m); err != nil {
		return err
	}
	// The outputs are checked once every flag and input is: the user sees
	// the real problem first, and nothing heavy has run yet.
	res, canResume := j.(resumable)
	done := false
	if canResume {
		if done, err = res.finished(in); err != nil {
			return err
		}
	}
	seconds := 0.0
	if !done {
		outs, force := j.outputs()
		for _, o := range outs {
			if err := checkOutput(o.path, force, o.dir, in.inputPaths()...); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return errors.New("interrupted: nothing was written")
		}
		start := time.Now()
		if err := j.run(ctx, m); err != nil {
			if ctx.Err() == nil {
				return err
			}
			if canResume {
				if note := res.interruptedNote(); note != "" {
					return errors.New("interrupted: nothing was written; " + note)
				}
			}
			return errors.New("interrupted: nothing was written")
		}
		seconds = time.Since(start).Seconds()
		if err := j.write(in); err != nil {
			return err
		}
	}
	if asJSON {
		return printJSON(stdout, j.summary(seconds))
	}
	return j.print(stdout, seconds)
}

// printJSON writes v as indented JSON, as every --json output is.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
