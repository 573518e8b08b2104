package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The files a qfilters output directory may hold: a filter directory writes
// all five, an Expected Attention statistics directory the first three.
var outputFiles = map[string]bool{
	ModelFile: true, ConfigFile: true, ReadmeFile: true, ExtraFile: true, ProvenanceFile: true,
}

// CheckReplaceable refuses to let --force replace dir unless qfilters wrote
// what is there: an empty directory, or a filter or statistics directory
// (recognised by its config.json) holding nothing but the files qfilters
// writes. Anything else is the user's own, and replacing it would delete it.
func CheckReplaceable(dir string) error { return checkReplaceableAs(dir, dir) }

// checkReplaceableAs is CheckReplaceable of path, naming it dir in errors
// (the output path of a directory moved out of its place).
func checkReplaceableAs(path, dir string) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("output %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	var foreign []string
	for _, e := range entries {
		if !outputFiles[e.Name()] || !e.Type().IsRegular() {
			name := e.Name()
			if e.IsDir() {
				name += string(filepath.Separator)
			}
			foreign = append(foreign, name)
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return fmt.Errorf("refusing to replace %s: it holds %s, which qfilters did not write (--force replaces only a directory qfilters wrote)", dir, listSome(foreign, len(entries)))
	}
	if !ownConfig(filepath.Join(path, ConfigFile)) {
		return fmt.Errorf("refusing to replace %s: its %s is not one qfilters writes (--force replaces only a directory qfilters wrote)", dir, ConfigFile)
	}
	return nil
}

// ownConfig reports whether path is the config.json of a filter directory
// (num_layers, num_kv_heads, kv_head_dim) or of a statistics directory
// (head_dim, num_heads, n_sink, model_name).
func ownConfig(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) != nil {
		return false
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := keys[n]; !ok {
				return false
			}
		}
		return true
	}
	return has("num_layers", "num_kv_heads", "kv_head_dim") || has("head_dim", "num_heads", "n_sink", "model_name")
}

// listSome names up to four entries and counts the rest.
func listSome(names []string, total int) string {
	const shown = 4
	if len(names) <= shown {
		s := strings.Join(names, ", ")
		if len(names) < total {
			s += fmt.Sprintf(" (besides %d qfilters %s)", total-len(names), plural(total-len(names), "file", "files"))
		}
		return s
	}
	return fmt.Sprintf("%s and %d more %s", strings.Join(names[:shown], ", "), len(names)-shown, plural(len(names)-shown, "entry", "entries"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
