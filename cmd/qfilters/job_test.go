package main

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/model"
)

// stepJob records the steps runJob takes; fail names a step that fails.
type stepJob struct {
	steps    []string
	fail     string
	out      string
	done     bool // finished: a resumed run already complete
	cancel   func()
	modelArg string
}

func (j *stepJob) step(name string) error {
	j.steps = append(j.steps, name)
	if j.fail == name {
		return errors.New(name + " failed")
	}
	return nil
}

func (j *stepJob) checkFlags() error { return j.step("flags") }
func (j *stepJob) inputFlags() (string, string, string) {
	if j.modelArg != "" {
		return j.modelArg, "", storiesCorpus
	}
	return "", "", ""
}
func (j *stepJob) plan(in *inputs) error                    { return j.step("plan") }
func (j *stepJob) prepare(in *inputs, m *model.Model) error { return j.step("prepare") }
func (j *stepJob) outputs() ([]jobOutput, bool) {
	j.step("outputs")
	return []jobOutput{{j.out, true}}, false
}
func (j *stepJob) finished(*inputs) (bool, error)     { return j.done, j.step("finished") }
func (j *stepJob) interruptedNote() string            { return "progress is saved" }
func (j *stepJob) write(*inputs) error                { return j.step("write") }
func (j *stepJob) summary(float64) any                { j.step("summary"); return jobSummary{Out: j.out} }
func (j *stepJob) print(w io.Writer, _ float64) error { return j.step("print") }
func (j *stepJob) run(ctx context.Context, _ *model.Model) error {
	if j.cancel != nil {
		j.cancel()
		j.step("run")
		return ctx.Err()
	}
	return j.step("run")
}

// TestRunJobSteps: every job goes through the steps in one order, and each
// refusal stops it before anything later, the output check before any work.
func TestRunJobSteps(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	os.Mkdir(existing, 0o755)
	all := "flags plan prepare finished outputs run write print"
	for _, c := range []struct {
		name, fail string
		out        string
		done       bool
		model      string
		want       string // steps taken
		errWant    string
	}{
		{name: "complete", out: filepath.Join(dir, "new"), want: all},
		{name: "bad flag", fail: "flags", want: "flags", model: filepath.Join(dir, "missing"), errWant: "flags failed"},
		{name: "missing model", model: filepath.Join(dir, "missing"), want: "flags plan", errWant: "missing"},
		{name: "bad plan", fail: "plan", want: "flags plan", errWant: "plan failed"},
		{name: "bad input", fail: "prepare", out: existing, want: "flags plan prepare", errWant: "prepare failed"},
		{name: "output exists", out: existing, want: "flags plan prepare finished outputs", errWant: "already exists"},
		{name: "already complete", out: existing, done: true, want: "flags plan prepare finished print"},
		{name: "failed write", fail: "write", out: filepath.Join(dir, "new2"), want: "flags plan prepare finished outputs run write", errWant: "write failed"},
	} {
		j := &stepJob{fail: c.fail, out: c.out, done: c.done, modelArg: c.model}
		err := runJobSteps(context.Background(), io.Discard, j, false)
		if got := strings.Join(j.steps, " "); got != c.want {
			t.Errorf("%s: steps %q, want %q", c.name, got, c.want)
		}
		if (err == nil) != (c.errWant == "") || err != nil && !strings.Contains(err.Error(), c.errWant) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.errWant)
		}
	}
}

// TestRunJobInterrupted: a signal before the run runs nothing; one during
// it writes nothing and says where a resumable job's progress is.
func TestRunJobInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := &stepJob{out: out}
	err := runJobSteps(ctx, io.Discard, j, false)
	if err == nil || err.Error() != "interrupted: nothing was written" || slices.Contains(j.steps, "run") {
		t.Errorf("cancelled before: %v after %v", err, j.steps)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	j = &stepJob{out: out, cancel: cancel}
	err = runJobSteps(ctx, io.Discard, j, false)
	if err == nil || err.Error() != "interrupted: nothing was written; progress is saved" || slices.Contains(j.steps, "write") {
		t.Errorf("cancelled during the run: %v after %v", err, j.steps)
	}
}

// TestRunJobJSON: --json prints the summary, and no text.
func TestRunJobJSON(t *testing.T) {
	var stdout bytes.Buffer
	j := &stepJob{out: filepath.Join(t.TempDir(), "out")}
	if err := runJobSteps(context.Background(), &stdout, j, true); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(j.steps, "print") || !strings.HasPrefix(stdout.String(), "{\n  \"out\": ") {
		t.Errorf("steps %v printed %q", j.steps, stdout.String())
	}
}

// TestCommandsOnlyParseFlags: calibrate, stats and eval are flag parsing
// plus runJob; the steps every job shares (resolving the inputs, opening the
// model, checking the outputs, catching signals) are called from job.go
// alone, save by the commands that are not jobs.
func TestCommandsOnlyParseFlags(t *testing.T) {
	allowed := map[string][]string{
		"resolveInputs": {"job.go"},
		"model.Open":    {"job.go", "bench.go"},             // bench opens its own synthetic checkpoint
		"checkOutput":   {"job.go", "merge.go"},             // merge reads stats files, no model
		"interruptible": {"job.go", "bench.go", "synth.go"}, // nor do these
		"runJob":        {"calibrate.go", "stats.go", "eval.go"},
	}
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	calls := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				calls[fn.Name] = append(calls[fn.Name], name)
			case *ast.SelectorExpr:
				if pkg, ok := fn.X.(*ast.Ident); ok {
					calls[pkg.Name+"."+fn.Sel.Name] = append(calls[pkg.Name+"."+fn.Sel.Name], name)
				}
			}
			return true
		})
		if name == "calibrate.go" || name == "stats.go" || name == "eval.go" {
			var funcs []string
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name != "init" {
					funcs = append(funcs, fd.Name.Name)
				}
			}
			if len(funcs) != 1 || !strings.HasPrefix(funcs[0], "new") {
				t.Errorf("%s declares %v: a command file holds its cobra command alone", name, funcs)
			}
		}
	}
	for fn, ok := range allowed {
		if len(calls[fn]) == 0 {
			t.Errorf("%s is called nowhere", fn)
		}
		for _, file := range calls[fn] {
			if !slices.Contains(ok, file) {
				t.Errorf("%s calls %s: that step is runJob's (job.go)", file, fn)
			}
		}
	}
}
