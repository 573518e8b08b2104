package torchbin

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// The values a pickle builds here: nil (None), bool, int64, float64,
// string, and the types below. Nothing else can be made: the opcodes that
// create objects of arbitrary classes are refused, and REDUCE and BUILD are
// handed to an env that only knows torch's rebuilders.
type (
	pyTuple []any
	pyList  struct{ items []any }
	// pyDict keeps insertion order, as Python's dict does.
	pyDict struct {
		keys []any
		vals map[any]any
	}
	// pyGlobal is a module attribute that the env allowed.
	pyGlobal struct{ module, name string }
)

func newDict() *pyDict { return &pyDict{vals: map[any]any{}} }

func (d *pyDict) set(k, v any) error {
	switch k.(type) {
	case string, int64, bool:
	default:
		return fmt.Errorf("dict key of type %s is not supported", typeName(k))
	}
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
	return nil
}

// env decides what the pickle may name and call: torch.save's few globals.
type env interface {
	global(module, name string) (any, error)
	persistentLoad(pid any) (any, error)
	reduce(fn any, args pyTuple) (any, error)
	build(obj, state any) error
}

// The opcodes of pickle protocols 2 to 5 that torch.save can emit.
const (
	opMark          = '('
	opStop          = '.'
	opPop           = '0'
	opPopMark       = '1'
	opDup           = '2'
	opBinInt        = 'J'
	opBinInt1       = 'K'
	opBinInt2       = 'M'
	opNone          = 'N'
	opBinPersID     = 'Q'
	opReduce        = 'R'
	opBinUnicode    = 'X'
	opAppend        = 'a'
	opBuild         = 'b'
	opGlobal        = 'c'
	opDict          = 'd'
	opEmptyDict     = '}'
	opAppends       = 'e'
	opBinGet        = 'h'
	opLongBinGet    = 'j'
	opList          = 'l'
	opEmptyList     = ']'
	opBinPut        = 'q'
	opLongBinPut    = 'r'
	opSetItem       = 's'
	opTuple         = 't'
	opEmptyTuple    = ')'
	opSetItems      = 'u'
	opBinFloat      = 'G'
	opProto         = 0x80
	opTuple1        = 0x85
	opTuple2        = 0x86
	opTuple3        = 0x87
	opNewTrue       = 0x88
	opNewFalse      = 0x89
	opLong1         = 0x8a
	opShortBinUni   = 0x8c
	opBinUnicode8   = 0x8d
	opStackGlobal   = 0x93
	opMemoize       = 0x94
	opFrame         = 0x95
	maxProtocol     = 5
	maxGlobalLength = 256
	// maxValues bounds the values and memo entries a pickle may make, so
	// that a small hostile pickle cannot make us allocate much more than it
	// weighs. torch.save makes about one per 8 bytes of pickle.
	maxValues = 1 << 22
)

// refusedOps names the opcodes we do not execute, for the error message.
var refusedOps = map[byte]string{
	'F': "FLOAT", 'I': "INT", 'L': "LONG", 'P': "PERSID", 'S': "STRING",
	'T': "BINSTRING", 'U': "SHORT_BINSTRING", 'V': "UNICODE", 'g': "GET",
	'i': "INST", 'o': "OBJ", 'p': "PUT", 'B': "BINBYTES", 'C': "SHORT_BINBYTES",
	0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8b: "LONG4",
	0x8e: "BINBYTES8", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
	0x92: "NEWOBJ_EX", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
}

// unpickler is the pickle virtual machine, restricted to building plain
// data and asking env for everything else.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int // stack heights at each MARK
	memo  map[uint32]any
	env   env
	made  int // values pushed and memo entries set
}

// unpickle runs data to its STOP and returns the value it leaves.
func unpickle(data []byte, e env) (any, error) {
	u := &unpickler{data: data, memo: map[uint32]any{}, env: e}
	v, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("data.pkl byte %d: %w", u.pos, err)
	}
	return v, nil
}

func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.data) {
			return nil, fmt.Errorf("pickle ends without STOP (truncated?)")
		}
		op := u.data[u.pos]
		start := u.pos
		u.pos++
		done, err := u.step(op)
		if err == nil && u.made > maxValues {
			err = fmt.Errorf("pickle makes over %d values: not a state dict torch.save would write", maxValues)
		}
		if err != nil {
			u.pos = start
			return nil, err
		}
		if done {
			return u.pop()
		}
	}
}

// step executes one opcode; it reports true at STOP.
func (u *unpickler) step(op byte) (bool, error) {
	switch op {
	case opProto:
		b, err := u.read(1)
		if err != nil {
			return false, err
		}
		if b[0] < 2 || b[0] > maxProtocol {
			return false, fmt.Errorf("pickle protocol %d is not supported (torch.save writes 2 to %d)", b[0], maxProtocol)
		}
	case opFrame:
		// A frame only announces how many bytes follow.
		if _, err := u.read(8); err != nil {
			return false, err
		}
	case opStop:
		return true, nil
	case opMark:
		u.marks = append(u.marks, len(u.stack))
	case opPop:
		if len(u.stack) > u.floor() {
			u.stack = u.stack[:len(u.stack)-1]
		} else if _, err := u.popMark(); err != nil {
			return false, err
		}
	case opPopMark:
		if _, err := u.popMark(); err != nil {
			return false, err
		}
	case opDup:
		v, err := u.top()
		if err != nil {
			return false, err
		}
		u.push(v)
	case opNone:
		u.push(nil)
	case opNewTrue:
		u.push(true)
	case opNewFalse:
		u.push(false)
	case opBinInt:
		b, err := u.read(4)
		if err != nil {
			return false, err
		}
		u.push(int64(int32(binary.LittleEndian.Uint32(b))))
	case opBinInt1:
		b, err := u.read(1)
		if err != nil {
			return false, err
		}
		u.push(int64(b[0]))
	case opBinInt2:
		b, err := u.read(2)
		if err != nil {
			return false, err
		}
		u.push(int64(binary.LittleEndian.Uint16(b)))
	case opLong1:
		n, err := u.read(1)
		if err != nil {
			return false, err
		}
		b, err := u.read(int(n[0]))
		if err != nil {
			return false, err
		}
		v, err := decodeLong(b)
		if err != nil {
			return false, err
		}
		u.push(v)
	case opBinFloat:
		b, err := u.read(8)
		if err != nil {
			return false, err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case opShortBinUni:
		return false, u.unicode(1)
	case opBinUnicode:
		return false, u.unicode(4)
	case opBinUnicode8:
		return false, u.unicode(8)
	case opEmptyTuple:
		u.push(pyTuple{})
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(u.stack)-u.floor() < n {
			return false, fmt.Errorf("stack underflow")
		}
		t := make(pyTuple, n)
		copy(t, u.stack[len(u.stack)-n:])
		u.stack = append(u.stack[:len(u.stack)-n], t)
	case opTuple:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(pyTuple(items))
	case opEmptyList:
		u.push(&pyList{})
	case opList:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(&pyList{items: items})
	case opAppend:
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.appendTo([]any{v})
	case opAppends:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.appendTo(items)
	case opEmptyDict:
		u.push(newDict())
	case opDict:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		d := newDict()
		u.push(d)
		return false, setPairs(d, items)
	case opSetItem:
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		k, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.setInto([]any{k, v})
	case opSetItems:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.setInto(items)
	case opBinPut, opLongBinPut, opMemoize:
		return false, u.put(op)
	case opBinGet, opLongBinGet:
		return false, u.get(op)
	case opGlobal:
		module, err := u.line()
		if err != nil {
			return false, err
		}
		name, err := u.line()
		if err != nil {
			return false, err
		}
		return false, u.global(module, name)
	case opStackGlobal:
		name, err := u.pop()
		if err != nil {
			return false, err
		}
		module, err := u.pop()
		if err != nil {
			return false, err
		}
		m, ok1 := module.(string)
		n, ok2 := name.(string)
		if !ok1 || !ok2 {
			return false, fmt.Errorf("STACK_GLOBAL on %s and %s, not two strings", typeName(module), typeName(name))
		}
		return false, u.global(m, n)
	case opBinPersID:
		pid, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := u.env.persistentLoad(pid)
		if err != nil {
			return false, err
		}
		u.push(v)
	case opReduce:
		args, err := u.pop()
		if err != nil {
			return false, err
		}
		fn, err := u.pop()
		if err != nil {
			return false, err
		}
		t, ok := args.(pyTuple)
		if !ok {
			return false, fmt.Errorf("REDUCE with %s arguments, not a tuple", typeName(args))
		}
		v, err := u.env.reduce(fn, t)
		if err != nil {
			return false, err
		}
		u.push(v)
	case opBuild:
		state, err := u.pop()
		if err != nil {
			return false, err
		}
		obj, err := u.top()
		if err != nil {
			return false, err
		}
		return false, u.env.build(obj, state)
	default:
		if name, ok := refusedOps[op]; ok {
			return false, fmt.Errorf("opcode %s (0x%02x) is not allowed: torch.save does not write it", name, op)
		}
		return false, fmt.Errorf("unknown opcode 0x%02x", op)
	}
	return false, nil
}

func (u *unpickler) global(module, name string) error {
	v, err := u.env.global(module, name)
	if err != nil {
		return err
	}
	u.push(v)
	return nil
}

// read consumes n bytes.
func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, fmt.Errorf("pickle ends inside an opcode's argument (truncated?)")
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

// line consumes a GLOBAL argument: text up to a newline.
func (u *unpickler) line() (string, error) {
	for i := u.pos; i < len(u.data) && i-u.pos <= maxGlobalLength; i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", fmt.Errorf("GLOBAL argument without a newline within %d bytes", maxGlobalLength)
}

// unicode pushes a UTF-8 string whose length takes size bytes.
func (u *unpickler) unicode(size int) error {
	b, err := u.read(size)
	if err != nil {
		return err
	}
	var n uint64
	switch size {
	case 1:
		n = uint64(b[0])
	case 4:
		n = uint64(binary.LittleEndian.Uint32(b))
	default:
		n = binary.LittleEndian.Uint64(b)
	}
	if n > uint64(len(u.data)-u.pos) {
		return fmt.Errorf("string of %d bytes runs past the end of the pickle", n)
	}
	s, _ := u.read(int(n))
	if !utf8.Valid(s) {
		return fmt.Errorf("string is not valid UTF-8")
	}
	u.push(string(s))
	return nil
}

// decodeLong decodes LONG1's little-endian two's complement, up to 8 bytes.
func decodeLong(b []byte) (int64, error) {
	if len(b) > 8 {
		return 0, fmt.Errorf("integer of %d bytes is too large", len(b))
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	if n := len(b); n > 0 && n < 8 && b[n-1]&0x80 != 0 {
		v |= ^uint64(0) << (8 * n) // sign-extend
	}
	return int64(v), nil
}

func (u *unpickler) put(op byte) error {
	var idx uint32
	switch op {
	case opBinPut:
		b, err := u.read(1)
		if err != nil {
			return err
		}
		idx = uint32(b[0])
	case opLongBinPut:
		b, err := u.read(4)
		if err != nil {
			return err
		}
		idx = binary.LittleEndian.Uint32(b)
	default:
		idx = uint32(len(u.memo))
	}
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[idx] = v
	u.made++
	return nil
}

func (u *unpickler) get(op byte) error {
	var idx uint32
	if op == opBinGet {
		b, err := u.read(1)
		if err != nil {
			return err
		}
		idx = uint32(b[0])
	} else {
		b, err := u.read(4)
		if err != nil {
			return err
		}
		idx = binary.LittleEndian.Uint32(b)
	}
	v, ok := u.memo[idx]
	if !ok {
		return fmt.Errorf("memo entry %d is not defined", idx)
	}
	u.push(v)
	return nil
}

func (u *unpickler) appendTo(items []any) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	l, ok := v.(*pyList)
	if !ok {
		return fmt.Errorf("APPEND to %s, not a list", typeName(v))
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) setInto(items []any) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return fmt.Errorf("SETITEM on %s, not a dict", typeName(v))
	}
	return setPairs(d, items)
}

func setPairs(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("odd number of items for a dict")
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// floor is the stack height below which the current MARK's items end.
func (u *unpickler) floor() int {
	if len(u.marks) == 0 {
		return 0
	}
	return u.marks[len(u.marks)-1]
}

func (u *unpickler) push(v any) {
	u.stack = append(u.stack, v)
	u.made++
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) <= u.floor() {
		return nil, fmt.Errorf("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) <= u.floor() {
		return nil, fmt.Errorf("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark removes and returns the items pushed since the last MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, fmt.Errorf("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

// typeName names a pickled value's Python type in messages.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case pyGlobal:
		return v.module + "." + v.name
	case *storage:
		return "storage"
	case *tensorRef:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}
