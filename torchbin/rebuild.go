package torchbin

import (
	"fmt"
	"math"
	"strings"

	"github.com/qfilters/qfilters/safetensors"
)

// storageTypes are torch's typed storage classes, which torch.save names in
// persistent ids, and the dtype of their elements.
var storageTypes = map[string]safetensors.DType{
	"FloatStorage":    safetensors.F32,
	"HalfStorage":     safetensors.F16,
	"BFloat16Storage": safetensors.BF16,
	"DoubleStorage":   safetensors.F64,
	"LongStorage":     safetensors.I64,
	"IntStorage":      safetensors.I32,
	"ShortStorage":    safetensors.I16,
	"CharStorage":     safetensors.I8,
	"ByteStorage":     safetensors.U8,
	"BoolStorage":     safetensors.BOOL,
}

// The callables torch.save names for a state dict. They are never called:
// reduce rebuilds their results as data.
const (
	orderedDict     = "collections.OrderedDict"
	rebuildTensorV2 = "torch._utils._rebuild_tensor_v2"
	rebuildParam    = "torch._utils._rebuild_parameter"
	maxKeyLength    = 256
)

// torchEnv rebuilds tensors the way torch.load does, as descriptions of
// views into storages whose bytes stay in the archive.
type torchEnv struct {
	storages map[string]*storage // by key
}

func newTorchEnv() *torchEnv { return &torchEnv{storages: map[string]*storage{}} }

func (e *torchEnv) global(module, name string) (any, error) {
	g := pyGlobal{module, name}
	switch module + "." + name {
	case orderedDict, rebuildTensorV2, rebuildParam:
		return g, nil
	}
	if _, ok := storageTypes[name]; ok && module == "torch" {
		return g, nil
	}
	return nil, fmt.Errorf("global %q is not allowed: a torch.save state dict names only torch's tensor rebuilders and storage types", module+"."+name)
}

// persistentLoad resolves torch.save's persistent id of a storage:
// ('storage', torch.<T>Storage, key, location, numel).
func (e *torchEnv) persistentLoad(pid any) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, fmt.Errorf("persistent id is not ('storage', type, key, location, numel)")
	}
	g, ok := t[1].(pyGlobal)
	dtype, known := storageTypes[g.name]
	if !ok || !known || g.module != "torch" {
		return nil, fmt.Errorf("persistent id names storage type %s, not a torch storage class", typeName(t[1]))
	}
	key, ok := t[2].(string)
	if !ok || key == "" || len(key) > maxKeyLength {
		return nil, fmt.Errorf("storage key is %s, not a short string", typeName(t[2]))
	}
	if _, ok := t[3].(string); !ok {
		return nil, fmt.Errorf("storage %q: location is %s, not a string", key, typeName(t[3]))
	}
	numel, ok := t[4].(int64)
	if !ok || numel < 0 || numel > math.MaxInt64/int64(dtype.Size()) {
		return nil, fmt.Errorf("storage %q: element count %s is not a valid size", key, describe(t[4]))
	}
	if s, ok := e.storages[key]; ok {
		if s.dtype != dtype || s.numel != numel {
			return nil, fmt.Errorf("storage %q is named as %d %s elements, and before as %d %s", key, numel, dtype, s.numel, s.dtype)
		}
		return s, nil
	}
	s := &storage{key: key, dtype: dtype, numel: numel}
	e.storages[key] = s
	return s, nil
}

func (e *torchEnv) reduce(fn any, args pyTuple) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, fmt.Errorf("REDUCE calls %s, not one of torch.save's rebuilders", describe(fn))
	}
	switch g.module + "." + g.name {
	case orderedDict:
		if len(args) != 0 {
			return nil, fmt.Errorf("%s with %d arguments: torch.save passes none", orderedDict, len(args))
		}
		return newDict(), nil
	case rebuildTensorV2:
		return rebuildTensor(args)
	case rebuildParam:
		// (data, requires_grad, backward_hooks): the parameter is its data.
		if len(args) != 3 {
			return nil, fmt.Errorf("%s takes 3 arguments, got %d", rebuildParam, len(args))
		}
		t, ok := args[0].(*tensorRef)
		if !ok {
			return nil, fmt.Errorf("%s of %s, not a tensor", rebuildParam, describe(args[0]))
		}
		return t, nil
	}
	return nil, fmt.Errorf("calling %s is not allowed", typeName(fn))
}

// build sets an object's state. torch.save writes it only for the state
// dict itself, an OrderedDict carrying its _metadata attribute, which
// tensors do not need.
func (e *torchEnv) build(obj, state any) error {
	if _, ok := obj.(*pyDict); !ok {
		return fmt.Errorf("BUILD on %s: only a state dict's attributes are allowed", describe(obj))
	}
	if _, ok := state.(*pyDict); !ok {
		return fmt.Errorf("BUILD with %s state, not a dict of attributes", describe(state))
	}
	return nil
}

// rebuildTensor checks the arguments of _rebuild_tensor_v2: (storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
func rebuildTensor(args pyTuple) (*tensorRef, error) {
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("%s takes 6 or 7 arguments, got %d", rebuildTensorV2, len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("tensor storage is %s, not a storage", describe(args[0]))
	}
	offset, ok := args[1].(int64)
	if !ok || offset < 0 {
		return nil, fmt.Errorf("tensor storage offset %s is not a non-negative int", describe(args[1]))
	}
	shape, err := dims(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := dims(args[3], "stride")
	if err != nil {
		return nil, err
	}
	if len(stride) != len(shape) {
		return nil, fmt.Errorf("tensor size %v and stride %v differ in length", shape, stride)
	}
	if _, ok := args[4].(bool); !ok {
		return nil, fmt.Errorf("tensor requires_grad is %s, not a bool", describe(args[4]))
	}
	for _, a := range args[5:] {
		if _, ok := a.(*pyDict); !ok {
			return nil, fmt.Errorf("tensor hooks or metadata is %s, not a dict", describe(a))
		}
	}
	t := &tensorRef{st: st, offset: offset, shape: shape, stride: stride}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// dims reads a tuple of non-negative ints.
func dims(v any, what string) ([]int, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("tensor %s is %s, not a tuple", what, describe(v))
	}
	out := make([]int, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("tensor %s holds %s, not a non-negative int", what, describe(x))
		}
		if n > math.MaxInt { // a 32-bit platform's int
			return nil, fmt.Errorf("tensor %s %d overflows this platform's int", what, n)
		}
		out[i] = int(n)
	}
	return out, nil
}

// stateDict reads the unpickled object as a mapping of names to tensors.
func stateDict(v any) (map[string]*tensorRef, error) {
	d, ok := v.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("data.pkl holds %s, not a state dict (a mapping of names to tensors)", describe(v))
	}
	out := make(map[string]*tensorRef, len(d.keys))
	for _, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state dict key %s is not a string", describe(k))
		}
		t, ok := d.vals[k].(*tensorRef)
		if !ok {
			return nil, fmt.Errorf("state dict entry %q is %s, not a tensor", name, describe(d.vals[k]))
		}
		out[name] = t
	}
	return out, nil
}

// describe shows an int's value and any other value's type, keeping
// messages short whatever the pickle holds.
func describe(v any) string {
	if n, ok := v.(int64); ok {
		return fmt.Sprint(n)
	}
	name := typeName(v)
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}
