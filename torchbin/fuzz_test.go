package torchbin

import (
	"bytes"
	"os"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/internal/torchsave"
)

// FuzzUnpickle feeds arbitrary bytes to the restricted unpickler. It must
// never panic, and every tensor of a state dict it accepts must lie inside
// its storage.
func FuzzUnpickle(f *testing.F) {
	for _, name := range []string{"statedict.pkl", "shard.pkl"} {
		if b, err := os.ReadFile(fixture.Path("torchbin", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(good))
	f.Add([]byte(proto + "cposix\nsystem\n" + str("ls") + "\x85R."))
	f.Add([]byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x94}\x94(h\x00]\x94u."))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := unpickle(b, newTorchEnv())
		if err != nil {
			return
		}
		sd, err := stateDict(v)
		if err != nil {
			return
		}
		for name, tt := range sd {
			if err := tt.check(); err != nil {
				t.Fatalf("%s accepted but: %v", name, err)
			}
			if lo, hi := tt.span(); lo < 0 || hi > tt.st.numel || lo > hi {
				t.Fatalf("%s: span [%d, %d) of a storage of %d", name, lo, hi, tt.st.numel)
			}
		}
	})
}

// FuzzOpen feeds arbitrary bytes to the file reader. It must never panic,
// and every tensor it reads has the bytes its dtype and shape need.
func FuzzOpen(f *testing.F) {
	if b, err := torchsave.Archive([]byte(good), [][]byte{make([]byte, 8)}, torchsave.Options{}); err == nil {
		f.Add(b)
	}
	small := goldenStateDict()[:6]
	for _, opt := range []torchsave.Options{{}, {Legacy: true}, {NoCRC: true}} {
		if b, err := torchsave.Encode(small, opt); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := newFile("fuzz.bin", &memFile{Reader: bytes.NewReader(b)}, int64(len(b)))
		if err != nil {
			return
		}
		c := newCheckpoint([]*file{fl}, nil)
		for _, name := range c.Names() {
			tt, err := c.Tensor(name)
			if err != nil {
				continue
			}
			if n := tt.NumElements(); n < 0 || n*tt.DType.Size() != len(tt.Data) {
				t.Fatalf("%s: %d bytes for %s %v", name, len(tt.Data), tt.DType, tt.Shape)
			}
		}
	})
}
