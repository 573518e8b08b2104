package torchbin

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/torchsave"
)

// Hand-written pickle pieces, protocol 2 as torch.save writes it.
func str(s string) string {
	return "X" + string(binary.LittleEndian.AppendUint32(nil, uint32(len(s)))) + s
}

const (
	proto   = "\x80\x02"
	rebuild = "ctorch._utils\n_rebuild_tensor_v2\n"
	hooks   = "ccollections\nOrderedDict\n)R"
)

// pid is a storage's persistent id, then BINPERSID.
func pid(class, key, numel string) string {
	return "((" + str("storage") + "ctorch\n" + class + "\n" + str(key) + str("cpu") + numel + "tQ"
}

// tensorPkl is {name: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}.
func tensorPkl(name, storage, offset, size, stride string) string {
	return proto + "}(" + str(name) + rebuild + storage + offset + size + stride + "\x89" + hooks + "tRu."
}

// good is one F32 tensor of 2 elements over storage "0".
var good = tensorPkl("w", pid("FloatStorage", "0", "K\x02"), "K\x00", "K\x02\x85", "K\x01\x85")

// TestHandPickleReads: the hand-written pickle the bad cases start from is good.
func TestHandPickleReads(t *testing.T) {
	b, err := torchsave.Archive([]byte(good), [][]byte{{1, 2, 3, 4, 5, 6, 7, 8}}, torchsave.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := openBytes(t, b)
	w, err := c.Tensor("w")
	if err != nil || !bytes.Equal(w.Data, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("%v % x", err, w.Data)
	}
}

// TestBadFiles: every hostile or broken input is one clear error naming
// what is wrong, never a panic, never a call.
func TestBadFiles(t *testing.T) {
	storage8 := [][]byte{make([]byte, 8)}
	archive := func(pkl string, storages [][]byte) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			b, err := torchsave.Archive([]byte(pkl), storages, torchsave.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	encoded := func(t *testing.T) []byte {
		b, err := torchsave.Encode(goldenStateDict(), torchsave.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name string
		file func(t *testing.T) []byte
		want string
	}{
		// Globals and opcodes beyond torch.save's.
		{"os.system by GLOBAL", archive(proto+"cposix\nsystem\n"+str("ls")+"\x85R.", nil),
			`data.pkl byte 2: global "posix.system" is not allowed`},
		{"eval by STACK_GLOBAL", archive("\x80\x04"+"\x8c\x08builtins\x8c\x04eval\x93"+str("1")+"\x85R.", nil),
			`global "builtins.eval" is not allowed`},
		{"torch global that is not a rebuilder", archive(proto+"ctorch\nload\n.", nil), `global "torch.load" is not allowed`},
		{"INST", archive(proto+"(iposix\nsystem\n.", nil), "opcode INST (0x69) is not allowed"},
		{"NEWOBJ", archive(proto+"ccollections\nOrderedDict\n)\x81.", nil), "opcode NEWOBJ (0x81) is not allowed"},
		{"EXT1", archive(proto+"\x82\x01.", nil), "opcode EXT1"},
		{"unknown opcode", archive(proto+"\xff.", nil), "unknown opcode 0xff"},
		{"protocol 6", archive("\x80\x06}.", nil), "pickle protocol 6 is not supported"},
		{"calling a storage class", archive(proto+"ctorch\nFloatStorage\n)R.", nil), "calling torch.FloatStorage is not allowed"},
		{"OrderedDict with arguments", archive(proto+"ccollections\nOrderedDict\n]\x85R.", nil), "OrderedDict with 1 arguments"},
		{"BUILD on a tensor", archive(strings.TrimSuffix(good, "u.")+"}bu.", storage8), "BUILD on a tensor"},
		// Malformed pickles.
		{"no STOP", archive(proto+"}", nil), "pickle ends without STOP"},
		{"string past the end", archive(proto+"X\xff\xff\xff\x7fab.", nil), "runs past the end of the pickle"},
		{"string not UTF-8", archive(proto+"X\x01\x00\x00\x00\xff.", nil), "not valid UTF-8"},
		{"undefined memo entry", archive(proto+"h\x05.", nil), "memo entry 5 is not defined"},
		{"stack underflow", archive(proto+"R.", nil), "stack underflow"},
		{"SETITEMS without MARK", archive(proto+"}u.", nil), "no MARK"},
		{"APPEND to a dict", archive(proto+"}Na.", nil), "APPEND to dict"},
		{"list as dict key", archive(proto+"}]Ns.", nil), "dict key of type list"},
		{"huge LONG1", archive(proto+"\x8a\x09123456789.", nil), "integer of 9 bytes is too large"},
		{"GLOBAL without newline", archive(proto+"c"+strings.Repeat("a", 300), nil), "GLOBAL argument without a newline"},
		{"pickle making millions of values", archive(proto+strings.Repeat("N", maxValues+1)+".", nil), "pickle makes over 4194304 values"},
		{"pickle over the size limit", archive(proto+strings.Repeat("N0", maxPickleSize/2)+"}.", nil), "record archive/data.pkl is 16777220 bytes, over the 16777216-byte limit"},
		// Pickles that are not state dicts of tensors.
		{"top level list", archive(proto+"].", nil), "data.pkl holds a list, not a state dict"},
		{"entry not a tensor", archive(proto+"}"+str("w")+"K\x01s.", nil), `state dict entry "w" is 1, not a tensor`},
		{"int key", archive(proto+"}K\x01"+str("w")+"s.", nil), "state dict key 1 is not a string"},
		{"bad persistent id", archive(proto+"}("+str("w")+rebuild+"("+str("file")+"tQ"+"u.", nil), "persistent id is not ('storage'"},
		{"negative numel", archive(tensorPkl("w", pid("FloatStorage", "0", "J\xff\xff\xff\xff"), "K\x00", "K\x02\x85", "K\x01\x85"), storage8),
			`storage "0": element count -1 is not a valid size`},
		{"same key two dtypes", archive(proto+"}("+str("a")+rebuild+pid("FloatStorage", "0", "K\x02")+"K\x00K\x02\x85K\x01\x85\x89"+hooks+"tR"+
			str("b")+rebuild+pid("HalfStorage", "0", "K\x04")+"K\x00K\x04\x85K\x01\x85\x89"+hooks+"tRu.", storage8),
			`storage "0" is named as 4 F16 elements, and before as 2 F32`},
		{"rebuild with 5 arguments", archive(proto+"}("+str("w")+rebuild+pid("FloatStorage", "0", "K\x02")+"K\x00K\x02\x85K\x01\x85\x89tRu.", storage8),
			"_rebuild_tensor_v2 takes 6 or 7 arguments, got 5"},
		{"negative size", archive(tensorPkl("w", pid("FloatStorage", "0", "K\x02"), "K\x00", "J\xff\xff\xff\xff\x85", "K\x01\x85"), storage8),
			"tensor size holds -1, not a non-negative int"},
		{"size and stride ranks differ", archive(tensorPkl("w", pid("FloatStorage", "0", "K\x02"), "K\x00", "K\x02\x85", ")"), storage8),
			"differ in length"},
		// Views that leave their storage.
		{"view past the storage", archive(tensorPkl("w", pid("FloatStorage", "0", "K\x02"), "K\x01", "K\x02\x85", "K\x01\x85"), storage8),
			`reaches element 2 of storage "0", which has 2`},
		{"stride overflow", archive(tensorPkl("w", pid("FloatStorage", "0", "K\x02"), "K\x00", "K\x03\x85", "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x85"), storage8),
			"overflows"},
		{"expanded view bigger than its storage", archive(tensorPkl("w", pid("FloatStorage", "0", "K\x02"), "K\x00", "M\x00\x10\x85", "K\x00\x85"), storage8),
			"overlapping views are not supported"},
		// Records.
		{"storage record missing", archive(good, nil), "record archive/data/0 is missing"},
		{"storage record of the wrong size", archive(good, [][]byte{make([]byte, 12)}), "holds 12 bytes, but 2 F32 elements need 8"},
		{"compressed record", func(t *testing.T) []byte { return deflated(t, []byte(good), make([]byte, 8)) }, "record archive/data/0 is compressed"},
		{"no data.pkl", func(t *testing.T) []byte { return zipOf(t, "archive/version") }, "zip archive has no archive/data.pkl"},
		{"TorchScript archive", func(t *testing.T) []byte { return zipOf(t, "m/constants.pkl", "m/code/m.py") }, "TorchScript archive"},
		{"zip of something else", func(t *testing.T) []byte { return zipOf(t, "notes.txt") }, `its first record "notes.txt" is not in a folder`},
		{"big-endian file", func(t *testing.T) []byte {
			b := encoded(t)
			i := bytes.Index(b, []byte("little"))
			copy(b[i:], "big\x00\x00\x00")
			return b
		}, "byteorder"},
		{"truncated zip", func(t *testing.T) []byte { b := encoded(t); return b[:len(b)-100] }, "no readable central directory (truncated?)"},
		{"record larger than the file", func(t *testing.T) []byte { return patchSize(t, encoded(t), "archive/data/5", 1<<31-1) },
			"record archive/data/5: size 2147483647 does not fit"},
		{"corrupt storage bytes", func(t *testing.T) []byte {
			b := encoded(t)
			b[bytes.Index(b, []byte("archive/data/4"))+200] ^= 1 // inside its 1200 bytes
			return b
		}, `storage "4": CRC-32`},
		// The start of torch.save(sd, f, _use_new_zipfile_serialization=False)
		// (torch 2.15): its magic number, pickled.
		{"legacy format", func(t *testing.T) []byte { return []byte("\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.") },
			"legacy torch.save format (not a zip archive: written by PyTorch before 1.6 or with _use_new_zipfile_serialization=False)"},
		{"not a zip", func(t *testing.T) []byte { return []byte("PyTorch weights, honest") }, "not a zip archive"},
		// A clone without git-lfs holds pointers in place of the weights.
		{"Git LFS pointer", func(t *testing.T) []byte {
			return []byte("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 988097824\n")
		}, "a Git LFS pointer (size 988097824), not the file itself"},
		{"empty file", func(t *testing.T) []byte { return nil }, "not a zip archive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.file(t)
			f, err := newFile("x.bin", &memFile{Reader: bytes.NewReader(b)}, int64(len(b)))
			if err == nil {
				// Views are checked at Open; reading is the last chance.
				c := newCheckpoint([]*file{f}, nil)
				for _, name := range c.Names() {
					if _, err = c.Tensor(name); err != nil {
						break
					}
				}
			}
			if err == nil {
				t.Fatalf("accepted; want an error mentioning %q", tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "x.bin: ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line starting with the file and mentioning %q", msg, tc.want)
			}
		})
	}
}

// zipOf is a zip archive of empty records.
func zipOf(t *testing.T, names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	return buf.Bytes()
}

// deflated is a torch.save file whose storage record is compressed.
func deflated(t *testing.T, pkl, storage []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range []struct {
		name   string
		data   []byte
		method uint16
	}{{"archive/data.pkl", pkl, zip.Store}, {"archive/data/0", storage, zip.Deflate}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: r.method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(r.data)
	}
	zw.Close()
	return buf.Bytes()
}

// patchSize sets the sizes the central directory gives a record.
func patchSize(t *testing.T, b []byte, name string, size uint32) []byte {
	sig := []byte("PK\x01\x02")
	for i := bytes.Index(b, sig); i >= 0 && i+46 <= len(b); {
		n := int(binary.LittleEndian.Uint16(b[i+28:]))
		if string(b[i+46:i+46+n]) == name {
			binary.LittleEndian.PutUint32(b[i+20:], size)
			binary.LittleEndian.PutUint32(b[i+24:], size)
			return b
		}
		next := bytes.Index(b[i+1:], sig)
		if next < 0 {
			break
		}
		i += 1 + next
	}
	t.Fatalf("no central directory entry for %s", name)
	return nil
}

// TestBadIndex: the index of shards obeys safetensors' rules.
func TestBadIndex(t *testing.T) {
	write := func(t *testing.T, index string) string {
		dir := t.TempDir()
		if err := torchsave.WriteSharded(dir, goldenStateDict(), 2, torchsave.Options{}); err != nil {
			t.Fatal(err)
		}
		if index != "" {
			os.WriteFile(filepath.Join(dir, IndexFile), []byte(index), 0o644)
		}
		return dir
	}
	cases := []struct{ name, index, want string }{
		{"escaping shard name", `{"weight_map": {"w": "../x.bin"}}`, `shard file name "../x.bin" is not a plain file name`},
		{"missing shard", `{"weight_map": {"w": "nope.bin"}}`, "nope.bin missing"},
		{"tensor absent from its shard", `{"weight_map": {"w": "pytorch_model-00001-of-00002.bin"}}`, `tensor "w" listed in`},
		{"not JSON", `{`, "index is not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(write(t, tc.index))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	// No weights at all.
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "directory has neither pytorch_model.bin") {
		t.Errorf("empty directory: %v", err)
	}
}
