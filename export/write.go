package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/qfilters/qfilters/safetensors"
)

// WriteOptions tunes WriteWith.
type WriteOptions struct {
	// Force replaces an existing directory that qfilters wrote (see
	// CheckReplaceable; anything else is refused). On Linux the new directory and
	// the old one are swapped in one step (renameat2 RENAME_EXCHANGE): the
	// path holds the old contents or the new, never neither, nor a mix.
	// Elsewhere, or where the file system cannot swap, the old directory is
	// renamed aside and the new one renamed in: for that moment the path does
	// not exist. Either way the old directory is then deleted, and a failure
	// before the swap leaves it untouched.
	Force bool
}

// ErrExist is wrapped by the error Write returns when the directory exists.
var ErrExist = errors.New("already exists (use --force to replace it)")

// Write writes f to dir, which must not exist. See WriteWith.
func Write(dir string, f *Filters) error { return WriteWith(dir, f, WriteOptions{}) }

// WriteWith validates f and writes the filter directory atomically: all files
// are built in a temporary directory beside dir (same parent) that is then
// renamed into place. On any failure nothing is left behind. The output is
// deterministic: the same Filters give byte-identical files.
func WriteWith(dir string, f *Filters, opt WriteOptions) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return writeDir(dir, opt, func(tmp string) error { return writeFiles(tmp, f) })
}

// writeDir builds a directory with fill in a temporary directory beside dir
// and renames it into place (see WriteWith).
func writeDir(dir string, opt WriteOptions, fill func(tmp string) error) (err error) {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if base == "." || base == string(filepath.Separator) || base == ".." {
		return fmt.Errorf("invalid output directory %q", dir)
	}
	exists, err := checkTarget(dir, opt.Force)
	if err != nil {
		return err
	}
	// Missing parents are created, as mkdir -p would.
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("parent of %s: %w", dir, err)
	}
	if st, err := os.Stat(parent); err != nil {
		return fmt.Errorf("parent of %s: %w", dir, err)
	} else if !st.IsDir() {
		return fmt.Errorf("parent of %s is not a directory", dir)
	}

	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return err
	}
	keepTmp := false // tmp holds the old output, which could not be put back
	defer func() {
		if err != nil && !keepTmp {
			os.RemoveAll(tmp)
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err = syncDir(tmp); err != nil {
		return err
	}

	if !exists {
		// Re-check just before the rename: rename(2) would silently replace
		// an empty directory created meanwhile.
		if _, serr := os.Lstat(dir); serr == nil {
			return fmt.Errorf("%s %w", dir, ErrExist)
		}
		if err = os.Rename(tmp, dir); err != nil {
			return err
		}
		return syncDir(parent)
	}

	// Force: swap the new directory with the old in one step where the
	// system can, then drop the old (now at tmp).
	swapped, err := swapDirs(tmp, dir)
	if err != nil {
		return fmt.Errorf("replacing %s: %w", dir, err)
	}
	if swapped {
		// The old output, now at tmp, was checked before the new one was
		// written: a file the user put there since is not deleted with it.
		if err = checkReplaceableAs(tmp, dir); err != nil {
			if _, serr := swapDirs(tmp, dir); serr != nil {
				keepTmp = true
				return fmt.Errorf("%w (and swapping it back failed: %v; it is at %s)", err, serr, tmp)
			}
			return err // the new one, back at tmp, is removed
		}
		if err := syncDir(parent); err != nil {
			return err
		}
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("new %s written but removing the old copy %s failed: %w", dir, tmp, err)
		}
		return nil
	}
	// Otherwise move the old directory aside, move the new one in, drop the
	// old: between the two renames dir does not exist.
	aside, err := os.MkdirTemp(parent, "."+base+".old-")
	if err != nil {
		return err
	}
	if err = os.Remove(aside); err != nil { // only the unique name is wanted
		return err
	}
	if err = os.Rename(dir, aside); err != nil {
		return fmt.Errorf("moving old %s aside: %w", dir, err)
	}
	if testHookAside != nil {
		testHookAside(dir)
	}
	if err = checkReplaceableAs(aside, dir); err != nil { // as above: changed since the check
		if rerr := os.Rename(aside, dir); rerr != nil {
			return fmt.Errorf("%w (and restoring it failed: %v; it is at %s)", err, rerr, aside)
		}
		return err
	}
	if err = os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(aside, dir); rerr != nil {
			return fmt.Errorf("%w (and restoring the old directory failed: %v; it is at %s)", err, rerr, aside)
		}
		return err
	}
	if err = syncDir(parent); err != nil {
		return err
	}
	if err = os.RemoveAll(aside); err != nil {
		return fmt.Errorf("new %s written but removing the old copy %s failed: %w", dir, aside, err)
	}
	return nil
}

// swapDirs is exchangeDirs; tests replace it to exercise the fallback.
var swapDirs = exchangeDirs

// testHookAside, when set (tests), runs while the fallback replacement has
// the old directory aside and the new one not yet in place.
var testHookAside func(dir string)

// checkTarget reports whether dir exists, refusing unless force is set (and
// always refusing to replace something that is not a directory, or a
// directory qfilters did not write).
func checkTarget(dir string, force bool) (bool, error) {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !force {
		return true, fmt.Errorf("%s %w", dir, ErrExist)
	}
	if !st.IsDir() {
		return true, fmt.Errorf("%s exists and is not a directory; refusing to replace it", dir)
	}
	return true, CheckReplaceable(dir)
}

// writeFiles writes every file of the directory into tmp.
func writeFiles(tmp string, f *Filters) error {
	model := []safetensors.Tensor{{
		Name:  QFiltersTensor,
		DType: safetensors.F32,
		Shape: []int{f.Layers, f.KVHeads, f.HeadDim},
		Data:  safetensors.EncodeFloat32(f.QFilters),
	}}
	if err := safetensors.Write(filepath.Join(tmp, ModelFile), model, nil); err != nil {
		return fmt.Errorf("%s: %w", ModelFile, err)
	}
	if err := writeFile(filepath.Join(tmp, ConfigFile), encodeConfig(f)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(tmp, ReadmeFile), []byte(ModelCard(f))); err != nil {
		return err
	}

	var extra []safetensors.Tensor
	add := func(name string, v []float32, shape ...int) {
		if v != nil {
			extra = append(extra, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: safetensors.EncodeFloat32(v)})
		}
	}
	add(PerQueryHeadTensor, f.PerQueryHead, f.Layers, f.Heads, f.HeadDim)
	add(SingularValuesTensor, f.SingularValues, f.Layers, f.Heads, f.HeadDim)
	add(SignAgreementTensor, f.SignAgreement, f.Layers, f.Heads)
	add(StabilityTensor, f.Stability, f.Layers, f.Heads)
	add(StabilityKVTensor, f.StabilityKV, f.Layers, f.KVHeads)
	if len(extra) > 0 {
		meta := map[string]string{"format": "qfilters", "num_heads": strconv.Itoa(f.Heads)}
		if err := safetensors.Write(filepath.Join(tmp, ExtraFile), extra, meta); err != nil {
			return fmt.Errorf("%s: %w", ExtraFile, err)
		}
	}
	if f.Provenance != nil {
		b, err := json.MarshalIndent(f.Provenance, "", "  ")
		if err != nil {
			return fmt.Errorf("provenance: %w", err)
		}
		if err := writeFile(filepath.Join(tmp, ProvenanceFile), append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return nil
}

// syncDir flushes a directory's entries to disk (best effort where the
// platform cannot fsync directories).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // some filesystems refuse directory fsync; the data is written regardless
	return nil
}
