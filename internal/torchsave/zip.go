package torchsave

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// alignment is torch's default storage alignment in the zip.
const alignment = 64

// Options shape the file as the several PyTorch versions write it.
type Options struct {
	// Archive is the folder of every record. torch.save(obj, path) uses the
	// file's base name without extension ("pytorch_model"); saving to a file
	// object uses "archive". Write defaults to the former.
	Archive string
	// Plain pickles a dict instead of an OrderedDict with _metadata.
	Plain bool
	// Legacy writes PyTorch 1.6-1.12's layout: the version record first, no
	// byteorder, storages in lexicographic key order.
	Legacy bool
	// NoCRC writes zero CRCs, as torch's compute_crc32=False does.
	NoCRC bool
}

// Encode returns the bytes of a torch.save file of the state dict tensors.
func Encode(tensors []Tensor, opt Options) ([]byte, error) {
	pkl, order, err := Pickle(tensors, !opt.Plain)
	if err != nil {
		return nil, err
	}
	data := make([][]byte, len(order))
	for i, st := range order {
		data[i] = st.Data
	}
	return Archive(pkl, data, opt)
}

// Archive zips a data.pkl and the bytes of its storages (storage i under
// key "i") into a torch.save file. Tests use it for hand-made pickles.
func Archive(pkl []byte, storages [][]byte, opt Options) ([]byte, error) {
	if opt.Archive == "" {
		opt.Archive = "archive"
	}
	type record struct {
		name string
		data []byte
	}
	var recs []record
	if opt.Legacy {
		recs = append(recs, record{"version", []byte("3\n")}, record{"data.pkl", pkl})
	} else {
		recs = append(recs, record{"data.pkl", pkl}, record{".format_version", []byte("1")},
			record{".storage_alignment", []byte(fmt.Sprint(alignment))}, record{"byteorder", []byte("little")})
	}
	keys := make([]string, len(storages))
	for i := range storages {
		keys[i] = fmt.Sprint(i)
	}
	if opt.Legacy {
		slices.Sort(keys) // "0", "1", "10", "11", ..., "2"
	}
	for _, k := range keys {
		var i int
		fmt.Sscan(k, &i)
		recs = append(recs, record{"data/" + k, storages[i]})
	}
	if !opt.Legacy {
		recs = append(recs, record{"version", []byte("3\n")})
		h := fnv.New64a()
		var crcs uint32
		for _, r := range recs {
			h.Write([]byte(r.name))
			crcs ^= crc32.ChecksumIEEE(r.data)
		}
		recs = append(recs, record{".data/serialization_id", fmt.Appendf(nil, "%020d%020d", h.Sum64(), crcs)})
	}

	var buf bytes.Buffer
	cw := &countWriter{w: &buf}
	zw := zip.NewWriter(cw)
	for _, r := range recs {
		name := opt.Archive + "/" + r.name
		if err := zw.Flush(); err != nil {
			return nil, err
		}
		fh := &zip.FileHeader{
			Name:               name,
			Method:             zip.Store,
			Flags:              0x8, // sizes and CRC in a data descriptor, as miniz writes them
			CompressedSize64:   uint64(len(r.data)),
			UncompressedSize64: uint64(len(r.data)),
			Extra:              padding(cw.n, len(name)),
		}
		if !opt.NoCRC {
			fh.CRC32 = crc32.ChecksumIEEE(r.data)
		}
		w, err := zw.CreateRaw(fh)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(r.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// padding is the "FB" extra field torch adds to a local header so that the
// record's data starts on a multiple of the storage alignment.
func padding(at int64, nameLen int) []byte {
	start := at + 30 + int64(nameLen) + 4
	pad := (alignment - start%alignment) % alignment
	extra := []byte{'F', 'B', byte(pad), byte(pad >> 8)}
	return append(extra, bytes.Repeat([]byte{'Z'}, int(pad))...)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Write saves the state dict at path as torch.save(obj, path) does, the
// archive folder named after the file unless opt says otherwise.
func Write(path string, tensors []Tensor, opt Options) error {
	if opt.Archive == "" {
		base := filepath.Base(path)
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		opt.Archive = base
	}
	b, err := Encode(tensors, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, b, 0o644)
}

// Contiguous makes each tensor a contiguous view of a storage of its own.
func Contiguous(ts []safetensors.Tensor) []Tensor {
	out := make([]Tensor, len(ts))
	for i, t := range ts {
		out[i] = Tensor{Name: t.Name, Storage: &Storage{DType: t.DType, Data: t.Data}, Shape: t.Shape}
	}
	return out
}

// WriteSharded saves tensors in n shard files of dir and their index, as
// transformers' save_pretrained(safe_serialization=False) does: plain dict
// pickles named pytorch_model-0000i-of-0000n.bin, consecutive tensors per
// shard, and pytorch_model.bin.index.json mapping each name to its file.
// Storages shared across shards are written in each.
func WriteSharded(dir string, tensors []Tensor, n int, opt Options) error {
	weightMap := map[string]string{}
	var total int
	for i := range n {
		part := tensors[i*len(tensors)/n : (i+1)*len(tensors)/n]
		name := fmt.Sprintf("pytorch_model-%05d-of-%05d.bin", i+1, n)
		o := opt
		o.Plain = true
		if err := Write(filepath.Join(dir, name), part, o); err != nil {
			return err
		}
		for _, t := range part {
			weightMap[t.Name] = name
			total += len(t.Storage.Data)
		}
	}
	b, err := json.MarshalIndent(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "pytorch_model.bin.index.json"), b, 0o644)
}
