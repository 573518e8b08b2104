// Package torchsave writes state dicts the way torch.save does (pickle
// protocol 2, the zip format of PyTorch 1.6 and later), byte for byte in the
// pickle, so that tests can make pytorch_model.bin files without Python.
// It is test support: the tool itself never writes this format.
//
// The pickle follows CPython's Pickler as torch.save drives it: memo
// indices in the order objects are first saved, strings and globals
// fetched from the memo when saved again, tuples of up to three items as
// TUPLE1-3, dict items in batches of 1000, tensors reduced through
// torch._utils._rebuild_tensor_v2 with a persistent id per storage.
package torchsave

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// Storage is a torch storage: the raw little-endian bytes of one dtype.
type Storage struct {
	DType safetensors.DType
	Data  []byte
}

// Tensor is one state dict entry: a view of a storage. A nil Stride is the
// contiguous one.
type Tensor struct {
	Name    string
	Storage *Storage
	Offset  int // in elements
	Shape   []int
	Stride  []int
	// Parameter pickles the entry as an nn.Parameter (what
	// state_dict(keep_vars=True) holds) with requires_grad set.
	Parameter bool
}

// storageClass is torch's storage class name for each dtype.
var storageClass = map[safetensors.DType]string{
	safetensors.F32: "FloatStorage", safetensors.F16: "HalfStorage", safetensors.BF16: "BFloat16Storage",
	safetensors.F64: "DoubleStorage", safetensors.I64: "LongStorage", safetensors.I32: "IntStorage",
	safetensors.I16: "ShortStorage", safetensors.I8: "CharStorage", safetensors.U8: "ByteStorage",
	safetensors.BOOL: "BoolStorage",
}

// pickler emits pickle opcodes with CPython's memo numbering.
type pickler struct {
	out  []byte
	memo map[string]int // strings and globals, by value
	next int            // next memo index
}

func (p *pickler) op(b ...byte) { p.out = append(p.out, b...) }

// put memoizes the object just written (BINPUT / LONG_BINPUT).
func (p *pickler) put() int {
	i := p.next
	p.next++
	if i < 256 {
		p.op('q', byte(i))
	} else {
		p.op('r')
		p.out = binary.LittleEndian.AppendUint32(p.out, uint32(i))
	}
	return i
}

func (p *pickler) get(i int) {
	if i < 256 {
		p.op('h', byte(i))
	} else {
		p.op('j')
		p.out = binary.LittleEndian.AppendUint32(p.out, uint32(i))
	}
}

func (p *pickler) str(s string) {
	if i, ok := p.memo["s"+s]; ok {
		p.get(i)
		return
	}
	p.op('X')
	p.out = binary.LittleEndian.AppendUint32(p.out, uint32(len(s)))
	p.out = append(p.out, s...)
	p.memo["s"+s] = p.put()
}

func (p *pickler) global(module, name string) {
	key := "g" + module + "\n" + name
	if i, ok := p.memo[key]; ok {
		p.get(i)
		return
	}
	p.op('c')
	p.out = append(p.out, module+"\n"+name+"\n"...)
	p.memo[key] = p.put()
}

// int writes an int as CPython's save_long does for protocol 2.
func (p *pickler) int(v int64) {
	switch {
	case v >= 0 && v <= 0xff:
		p.op('K', byte(v))
	case v >= 0 && v <= 0xffff:
		p.op('M', byte(v), byte(v>>8))
	case v >= -1<<31 && v < 1<<31:
		p.op('J')
		p.out = binary.LittleEndian.AppendUint32(p.out, uint32(int32(v)))
	default:
		// LONG1: the shortest little-endian two's complement.
		var b []byte
		for x := v; ; x >>= 8 {
			b = append(b, byte(x))
			if (x >= -128 && x < 128) && (x < 0) == (b[len(b)-1]&0x80 != 0) {
				break
			}
		}
		p.op(0x8a, byte(len(b)))
		p.out = append(p.out, b...)
	}
}

// tuple writes a tuple whose items write themselves.
func (p *pickler) tuple(items ...func()) {
	if len(items) == 0 {
		p.op(')')
		return
	}
	if len(items) > 3 {
		p.op('(')
	}
	for _, it := range items {
		it()
	}
	if len(items) > 3 {
		p.op('t')
	} else {
		p.op(0x85 + byte(len(items)-1))
	}
	p.put()
}

func (p *pickler) ints(v []int) {
	items := make([]func(), len(v))
	for i, x := range v {
		items[i] = func() { p.int(int64(x)) }
	}
	p.tuple(items...)
}

// emptyOrderedDict writes OrderedDict(), as a tensor's backward hooks.
func (p *pickler) emptyOrderedDict() {
	p.global("collections", "OrderedDict")
	p.op(')', 'R')
	p.put()
}

// setItems writes dict items in CPython's batches of 1000.
func (p *pickler) setItems(n int, item func(i int)) {
	for start := 0; start < n; start += 1000 {
		end := min(start+1000, n)
		if end-start == 1 {
			item(start)
			p.op('s')
			continue
		}
		p.op('(')
		for i := start; i < end; i++ {
			item(i)
		}
		p.op('u')
	}
}

// storages numbers storages in order of first use, as torch.save's id_map.
type storages struct {
	keys  map[*Storage]string
	order []*Storage
}

func (s *storages) key(st *Storage) string {
	if k, ok := s.keys[st]; ok {
		return k
	}
	k := fmt.Sprint(len(s.order))
	s.keys[st] = k
	s.order = append(s.order, st)
	return k
}

func (p *pickler) tensor(t Tensor, ss *storages) error {
	class, ok := storageClass[t.Storage.DType]
	if !ok {
		return fmt.Errorf("tensor %q: dtype %s has no torch storage class", t.Name, t.Storage.DType)
	}
	es := t.Storage.DType.Size()
	if len(t.Storage.Data)%es != 0 {
		return fmt.Errorf("tensor %q: storage of %d bytes is not whole %s elements", t.Name, len(t.Storage.Data), t.Storage.DType)
	}
	stride := t.Stride
	if stride == nil {
		stride = make([]int, len(t.Shape))
		n := 1
		for i := len(t.Shape) - 1; i >= 0; i-- {
			stride[i] = n
			n *= t.Shape[i]
		}
	}
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.tuple(
		func() {
			p.tuple(
				func() { p.str("storage") },
				func() { p.global("torch", class) },
				func() { p.str(ss.key(t.Storage)) },
				func() { p.str("cpu") },
				func() { p.int(int64(len(t.Storage.Data) / es)) },
			)
			p.op('Q')
		},
		func() { p.int(int64(t.Offset)) },
		func() { p.ints(t.Shape) },
		func() { p.ints(stride) },
		func() { p.op(0x89) }, // requires_grad False
		p.emptyOrderedDict,
	)
	p.op('R')
	p.put()
	return nil
}

// Pickle returns the data.pkl of a state dict holding tensors in order,
// and the storages it names, by key order. ordered makes it an OrderedDict
// with the _metadata attribute nn.Module.state_dict sets (one version-1
// entry per module path); otherwise a plain dict, as transformers' shards.
func Pickle(tensors []Tensor, ordered bool) ([]byte, []*Storage, error) {
	p := &pickler{memo: map[string]int{}}
	ss := &storages{keys: map[*Storage]string{}}
	p.op(0x80, 2)
	if ordered {
		p.global("collections", "OrderedDict")
		p.op(')', 'R')
		p.put()
	} else {
		p.op('}')
		p.put()
	}
	var err error
	p.setItems(len(tensors), func(i int) {
		p.str(tensors[i].Name)
		if e := p.entry(tensors[i], ss); e != nil && err == nil {
			err = e
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if ordered {
		mods := modules(tensors)
		p.op('}')
		p.put()
		p.str("_metadata")
		p.global("collections", "OrderedDict")
		p.op(')', 'R')
		p.put()
		p.setItems(len(mods), func(i int) {
			p.str(mods[i])
			p.op('}')
			p.put()
			p.str("version")
			p.int(1)
			p.op('s')
		})
		p.op('s', 'b')
	}
	p.op('.')
	return p.out, ss.order, nil
}

// entry writes one state dict value: a tensor, or a parameter wrapping one
// (_rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict())).
func (p *pickler) entry(t Tensor, ss *storages) error {
	if !t.Parameter {
		return p.tensor(t, ss)
	}
	p.global("torch._utils", "_rebuild_parameter")
	var err error
	p.tuple(
		func() {
			t := t
			t.Parameter = false
			err = p.tensor(t, ss)
		},
		func() { p.op(0x88) },
		p.emptyOrderedDict,
	)
	p.op('R')
	p.put()
	return err
}

// modules lists the module paths of tensor names in first-seen order, as
// state_dict's pre-order walk records them: "", "model", "model.layers", ...
func modules(tensors []Tensor) []string {
	seen := map[string]bool{}
	var out []string
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, t := range tensors {
		add("")
		parts := strings.Split(t.Name, ".")
		for i := 1; i < len(parts); i++ {
			add(strings.Join(parts[:i], "."))
		}
	}
	return out
}
