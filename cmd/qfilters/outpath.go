package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/export"
	"github.com/qfilters/qfilters/safetensors"
)

// forceHelp is --force's help: what it removes, and what it never touches.
const forceHelp = "replace an existing output that qfilters wrote: a filter or statistics directory holding only qfilters' files (or a --stats-out file qfilters wrote), which is deleted once the new one is in place (swapped in one step on Linux). " +
	"Anything else is refused: a directory with other files, the current directory or one above it, and any path that holds an input or lies inside one"

// checkOutput refuses, before any work, an output path the final write
// would refuse after hours of it: an existing one without force, one under a
// file, and (for directory outputs) an existing file even with force. With
// force it also refuses to replace anything qfilters did not write: a
// directory holding other files, the current directory or one above it, and
// any path that holds an input or lies inside one (inputs are the files and
// directories the command reads).
func checkOutput(out string, force, isDir bool, inputs ...string) error {
	st, err := os.Lstat(out)
	switch {
	case err == nil && !force:
		return fmt.Errorf("output %s already exists (use --force to replace it)", out)
	case err == nil && isDir && !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory; refusing to replace it", out)
	case err == nil:
		return checkReplace(out, st, isDir, inputs)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	}
	// Name the file standing where a directory should be.
	for dir := filepath.Dir(out); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if st, serr := os.Stat(dir); serr == nil {
			if !st.IsDir() {
				return fmt.Errorf("output %s: %s is not a directory", out, dir)
			}
			break
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("output %s: %v", out, err)
}

// checkReplace is --force's guard: out exists, and may be replaced only if
// qfilters wrote it and it is neither an input, nor holds one, nor the
// working directory.
func checkReplace(out string, st fs.FileInfo, isDir bool, inputs []string) error {
	target := realPath(out)
	if cwd, err := os.Getwd(); err == nil && within(realPath(cwd), target) {
		return fmt.Errorf("refusing to replace %s: it is or holds the current directory", out)
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		src := realPath(in)
		switch {
		case within(src, target):
			return fmt.Errorf("refusing to replace %s: it holds the input %s", out, in)
		case within(target, src):
			return fmt.Errorf("refusing to replace %s: it lies inside the input %s", out, in)
		}
	}
	if isDir {
		return export.CheckReplaceable(out)
	}
	if st.IsDir() {
		return fmt.Errorf("refusing to replace %s: it is a directory, and a statistics file goes there", out)
	}
	return checkOwnStatsFile(out)
}

// checkOwnStatsFile lets --force replace a file only when it is statistics
// qfilters wrote (--stats-out): a safetensors file whose metadata carries
// one of qfilters' keys.
func checkOwnStatsFile(path string) error {
	ck, err := safetensors.Open(path)
	if err == nil {
		defer ck.Close()
		meta := ck.Metadata()
		if _, ok := meta["qfilters.stats"]; ok {
			return nil
		}
		if _, ok := meta["qfilters.query_stats"]; ok {
			return nil
		}
	}
	return fmt.Errorf("refusing to replace %s: it is not a statistics file qfilters wrote (--force replaces only qfilters' own outputs)", path)
}

// realPath is path made absolute with its symbolic links resolved (as far
// as they exist), so that two names of one directory compare equal.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// corpusInputs lists what a corpus argument reads: the path itself (a file
// or directory) and, for a directory or glob, each file it selects.
func corpusInputs(path string) []string {
	if path == "" {
		return nil
	}
	inputs := []string{path}
	if r, err := corpus.Open(path, corpus.Options{}); err == nil {
		inputs = append(inputs, r.Files()...)
	}
	return inputs
}
