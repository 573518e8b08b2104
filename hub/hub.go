// Package hub finds models in the local Hugging Face cache, offline, the way
// huggingface_hub does: a repository id org/name lives in
// <cache>/models--org--name, whose refs/<branch> files hold commit hashes
// and whose snapshots/<hash>/ directories hold the files (symlinks into
// blobs/). Nothing is ever downloaded.
package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// CacheDir is the hub cache: $HF_HUB_CACHE, else the legacy
// $HUGGINGFACE_HUB_CACHE (huggingface_hub still honours it), else
// $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub. A leading ~ is the home directory and $VAR or
// ${VAR} the variable's value (an unset one stays as written), as
// huggingface_hub's expanduser and expandvars make them.
func CacheDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "~"
	}
	tilde := func(d string) string {
		if d == "~" || strings.HasPrefix(d, "~/") {
			d = filepath.Join(home, d[1:])
		}
		return expandVars(d)
	}
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return tilde(d)
	}
	if d := os.Getenv("HUGGINGFACE_HUB_CACHE"); d != "" {
		return tilde(d)
	}
	if d := os.Getenv("HF_HOME"); d != "" {
		return filepath.Join(tilde(d), "hub")
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(tilde(d), "huggingface", "hub")
	}
	return filepath.Join(home, ".cache", "huggingface", "hub")
}

// envRef is a variable reference as Python's posixpath.expandvars finds
// it: $name or ${name}.
var envRef = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// expandVars replaces the references to set variables in s by their values,
// leaving the others as written, as os.path.expandvars does.
func expandVars(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(ref[1:], "{"), "}")
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return ref
	})
}

// idPattern is a repository id: name or org/name, of the characters the hub
// allows (letters, digits, '-', '_', '.'), not starting with one of the last
// three.
var idPattern = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*/)?[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// IsID reports whether s could be a repository id. A path that exists
// should be taken as a path before asking.
func IsID(s string) bool {
	return idPattern.MatchString(s) && !strings.Contains(s, "..") && !strings.HasSuffix(s, ".")
}

// Name is the repository's name without its organization.
func Name(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// commitPattern is a full commit hash.
var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// IsCommit reports whether s is a full commit hash (a snapshot's name).
func IsCommit(s string) bool { return commitPattern.MatchString(s) }

// Resolve returns the snapshot directory of id at revision (a branch or
// other ref under refs/, or a commit hash; "" means main).
func Resolve(id, revision string) (string, error) {
	if !IsID(id) {
		return "", fmt.Errorf("%q is not a Hugging Face repository id (org/name)", id)
	}
	if revision == "" {
		revision = "main"
	}
	repo := filepath.Join(CacheDir(), "models--"+strings.ReplaceAll(id, "/", "--"))
	// The current Hugging Face CLI (huggingface_hub >= 0.34) is `hf`.
	fetch := "hf download " + id
	if revision != "main" {
		fetch += " --revision " + revision
	}
	miss := func(looked string) error {
		if !strings.Contains(id, "/") {
			// A bare name is far more often a mistyped path than one of the
			// few legacy ids without an organization: no fetch to suggest.
			return fmt.Errorf("model %s: no such file or directory (nor a Hugging Face cache entry %s; hub ids are org/name)", id, filepath.Base(repo))
		}
		return fmt.Errorf("model %s is neither a directory nor in the Hugging Face cache (looked for %s); fetch it with `%s`", id, looked, fetch)
	}
	if strings.Contains(revision, "..") || strings.HasPrefix(revision, "/") || strings.Contains(revision, `\`) {
		return "", fmt.Errorf("revision %q is not a branch name or commit hash", revision)
	}
	hash := revision
	ref := filepath.Join(repo, "refs", filepath.FromSlash(revision))
	b, err := os.ReadFile(ref)
	switch {
	case err == nil:
		hash = strings.TrimSpace(string(b))
		if !commitPattern.MatchString(hash) {
			return "", fmt.Errorf("%s: expected a commit hash, found %q", ref, hash)
		}
	case !errors.Is(err, os.ErrNotExist) && !isDirErr(ref):
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the ref names the file: no "open PATH" again
		}
		return "", fmt.Errorf("%s: %w", ref, err)
	case !commitPattern.MatchString(revision):
		return "", miss(ref)
	}
	snap := filepath.Join(repo, "snapshots", hash)
	if fi, err := os.Stat(snap); err != nil || !fi.IsDir() {
		return "", miss(snap)
	}
	return snap, nil
}

// isDirErr reports whether path is a directory (refs/pr is one).
func isDirErr(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
