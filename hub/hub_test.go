package hub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	hashMain = "0123456789abcdef0123456789abcdef01234567"
	hashV1   = "89abcdef0123456789abcdef0123456789abcdef"
)

// fakeCache lays out models--org--tiny in a fresh HF_HOME as huggingface_hub
// does: snapshots made of symlinks into blobs, refs/main and refs/v1.
func fakeCache(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_HOME", home)
	repo := filepath.Join(home, "hub", "models--org--tiny")
	for _, d := range []string{"blobs", "refs", "snapshots/" + hashMain, "snapshots/" + hashV1} {
		if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for hash, body := range map[string]string{hashMain: "main", hashV1: "v1"} {
		blob := filepath.Join(repo, "blobs", "blob-"+body)
		os.WriteFile(blob, []byte(body), 0o644)
		if err := os.Symlink("../../blobs/blob-"+body, filepath.Join(repo, "snapshots", hash, "config.json")); err != nil {
			t.Skip(err)
		}
	}
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(hashMain+"\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "refs", "v1"), []byte(hashV1), 0o644)
	return home
}

func TestResolve(t *testing.T) {
	home := fakeCache(t)
	snaps := filepath.Join(home, "hub", "models--org--tiny", "snapshots")
	for _, c := range []struct{ rev, want, body string }{
		{"", hashMain, "main"}, {"main", hashMain, "main"}, {"v1", hashV1, "v1"}, {hashV1, hashV1, "v1"},
	} {
		dir, err := Resolve("org/tiny", c.rev)
		if err != nil {
			t.Fatalf("revision %q: %v", c.rev, err)
		}
		if dir != filepath.Join(snaps, c.want) {
			t.Errorf("revision %q: %s, want snapshot %s", c.rev, dir, c.want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err != nil || string(b) != c.body {
			t.Errorf("revision %q: config.json through the blob link: %q %v", c.rev, b, err)
		}
	}
	// HF_HUB_CACHE wins over HF_HOME.
	t.Setenv("HF_HUB_CACHE", filepath.Join(home, "elsewhere"))
	if _, err := Resolve("org/tiny", ""); err == nil || !strings.Contains(err.Error(), filepath.Join(home, "elsewhere", "models--org--tiny", "refs", "main")) {
		t.Errorf("HF_HUB_CACHE not used: %v", err)
	}
}

func TestResolveMisses(t *testing.T) {
	home := fakeCache(t)
	repo := filepath.Join(home, "hub", "models--org--tiny")
	for _, c := range []struct{ id, rev, want string }{
		{"org/absent", "", "model org/absent is neither a directory nor in the Hugging Face cache (looked for " +
			filepath.Join(home, "hub", "models--org--absent", "refs", "main") + "); fetch it with `hf download org/absent`"},
		{"org/tiny", "v2", "looked for " + filepath.Join(repo, "refs", "v2") + "); fetch it with `hf download org/tiny --revision v2`"},
		{"org/tiny", "fedcba9876543210fedcba9876543210fedcba98", "looked for " + filepath.Join(repo, "snapshots", "fedcba9876543210fedcba9876543210fedcba98")},
		{"org/tiny", "../../etc", "is not a branch name or commit hash"},
		{"../tiny", "", "is not a Hugging Face repository id"},
		// A bare name is not offered to `hf download` (mostly a mistyped path).
		{"tiny", "", "model tiny: no such file or directory (nor a Hugging Face cache entry models--tiny; hub ids are org/name)"},
	} {
		_, err := Resolve(c.id, c.rev)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s@%s: %v, want %q", c.id, c.rev, err, c.want)
		}
	}
}

func TestCacheDirDefaults(t *testing.T) {
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := CacheDir(); got != filepath.Join("/home/u", ".cache", "huggingface", "hub") {
		t.Errorf("default cache %s", got)
	}
	t.Setenv("XDG_CACHE_HOME", "/x")
	if got := CacheDir(); got != filepath.Join("/x", "huggingface", "hub") {
		t.Errorf("XDG cache %s", got)
	}
}

// TestCacheDirLikeHuggingfaceHub: the legacy HUGGINGFACE_HUB_CACHE comes
// after HF_HUB_CACHE and before HF_HOME, and a leading ~ is the home
// directory, as in huggingface_hub's constants.py. Missing either, we would
// look in another cache, which may hold another snapshot of the same id.
func TestCacheDirLikeHuggingfaceHub(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HOME", "/hf")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "/legacy")
	if got := CacheDir(); got != "/legacy" {
		t.Errorf("HUGGINGFACE_HUB_CACHE over HF_HOME: %s, want /legacy", got)
	}
	t.Setenv("HF_HUB_CACHE", "/new")
	if got := CacheDir(); got != "/new" {
		t.Errorf("HF_HUB_CACHE over HUGGINGFACE_HUB_CACHE: %s, want /new", got)
	}
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_HOME", "~/hf")
	if got, want := CacheDir(), filepath.Join("/home/u", "hf", "hub"); got != want {
		t.Errorf("HF_HOME=~/hf: %s, want %s", got, want)
	}
}

func TestIsID(t *testing.T) {
	for s, want := range map[string]bool{
		"org/name": true, "gpt2": true, "Qwen/Qwen2.5-VL-3B-Instruct": true, "a/b/c": false, "/abs/dir": false,
		"./dir": false, "../x": false, "org/..": false, "org/": false, "": false, "my model": false, "m.gguf": true,
	} {
		if IsID(s) != want {
			t.Errorf("IsID(%q) = %v", s, !want)
		}
	}
}

func TestName(t *testing.T) {
	if Name("org/tiny") != "tiny" || Name("gpt2") != "gpt2" {
		t.Error(Name("org/tiny"), Name("gpt2"))
	}
}

// TestResolveUnreadableRef: a ref that cannot be read (here a symlink to
// itself) is named once, with why, in one line.
func TestResolveUnreadableRef(t *testing.T) {
	home := fakeCache(t)
	ref := filepath.Join(home, "hub", "models--org--tiny", "refs", "loop")
	if err := os.Symlink("loop", ref); err != nil {
		t.Skip(err)
	}
	_, err := Resolve("org/tiny", "loop")
	if err == nil || !strings.HasPrefix(err.Error(), ref+": ") || strings.Count(err.Error(), ref) != 1 {
		t.Errorf("got %v, want one line starting %q that names it once", err, ref+": ")
	}
}

// TestCacheDirExpandsVariables: huggingface_hub passes the cache variables
// through os.path.expandvars after expanduser, so a $VAR or ${VAR} left
// unexpanded by whatever set them (a Docker --env-file, a systemd unit)
// still names the cache; an unset variable stays as written. The wants are
// huggingface_hub 1.33's constants.HF_HUB_CACHE, run with HOME=/home/u
// SCRATCH=/scratch and the one variable set.
func TestCacheDirExpandsVariables(t *testing.T) {
	for _, c := range []struct{ key, val, want string }{
		{"HF_HOME", "$SCRATCH/hf", "/scratch/hf/hub"},
		{"HF_HUB_CACHE", "${SCRATCH}/c", "/scratch/c"},
		{"HF_HUB_CACHE", "$NOPE/c", "$NOPE/c"},
		{"XDG_CACHE_HOME", "$SCRATCH/x", "/scratch/x/huggingface/hub"},
		{"HUGGINGFACE_HUB_CACHE", "~/legacy", "/home/u/legacy"},
	} {
		for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "NOPE"} {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
		t.Setenv("HOME", "/home/u")
		t.Setenv("SCRATCH", "/scratch")
		t.Setenv(c.key, c.val)
		if got := CacheDir(); got != filepath.FromSlash(c.want) {
			t.Errorf("%s=%s: %s, want %s", c.key, c.val, got, c.want)
		}
	}
}
