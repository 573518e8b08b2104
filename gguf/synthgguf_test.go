package gguf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/qfilters/qfilters/synth"
)

// TestWriteSynthIQ4XS writes, when QFILTERS_SYNTH_GGUF names a file, a
// random Llama GGUF of a synth preset's shape (QFILTERS_SYNTH_PRESET,
// default llama-3.1-8b) with every matrix IQ4_XS, streamed to disk (about
// 4.3 GB for 8B): what docs/GGUF.md measures calibrate's memory on. Skipped
// otherwise. Scales are fixed at d = 2e-5 so the weights are about 0.02 in
// size; sub-block scales and codes are random.
func TestWriteSynthIQ4XS(t *testing.T) {
	path := os.Getenv("QFILTERS_SYNTH_GGUF")
	if path == "" {
		t.Skip("QFILTERS_SYNTH_GGUF not set")
	}
	name := os.Getenv("QFILTERS_SYNTH_PRESET")
	if name == "" {
		name = "llama-3.1-8b"
	}
	p, err := synth.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSynthIQ4XS(path, p); err != nil {
		t.Fatal(err)
	}
}

type synthTensor struct {
	name string
	dims []int // GGUF order
	typ  Type
}

func writeSynthIQ4XS(path string, p synth.Preset) error {
	h, q, kv := p.Hidden, p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	ts := []synthTensor{{"token_embd.weight", []int{h, p.Vocab}, IQ4_XS}, {"output_norm.weight", []int{h}, F32}}
	if !p.Tie {
		ts = append(ts, synthTensor{"output.weight", []int{h, p.Vocab}, IQ4_XS})
	}
	for l := 0; l < p.Layers; l++ {
		b := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			synthTensor{b + "attn_norm.weight", []int{h}, F32}, synthTensor{b + "ffn_norm.weight", []int{h}, F32},
			synthTensor{b + "attn_q.weight", []int{h, q}, IQ4_XS}, synthTensor{b + "attn_k.weight", []int{h, kv}, IQ4_XS},
			synthTensor{b + "attn_v.weight", []int{h, kv}, IQ4_XS}, synthTensor{b + "attn_output.weight", []int{q, h}, IQ4_XS},
			synthTensor{b + "ffn_gate.weight", []int{h, p.Intermediate}, IQ4_XS}, synthTensor{b + "ffn_up.weight", []int{h, p.Intermediate}, IQ4_XS},
			synthTensor{b + "ffn_down.weight", []int{p.Intermediate, h}, IQ4_XS})
	}
	kvs := []KV{
		{"general.architecture", "llama"},
		{"llama.block_count", uint32(p.Layers)},
		{"llama.context_length", uint32(p.MaxPositions)},
		{"llama.embedding_length", uint32(h)},
		{"llama.feed_forward_length", uint32(p.Intermediate)},
		{"llama.attention.head_count", uint32(p.Heads)},
		{"llama.attention.head_count_kv", uint32(p.KVHeads)},
		{"llama.attention.key_length", uint32(p.HeadDim)},
		{"llama.attention.value_length", uint32(p.HeadDim)},
		{"llama.attention.layer_norm_rms_epsilon", float32(p.NormEps)},
		{"llama.rope.freq_base", float32(p.RopeTheta)},
		{"llama.rope.dimension_count", uint32(p.HeadDim)},
		{"llama.vocab_size", uint32(p.Vocab)},
	}
	size := func(t synthTensor) int {
		n := 1
		for _, d := range t.dims {
			n *= d
		}
		return n / t.typ.BlockSize() * t.typ.BlockBytes()
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	str := func(s string) { w(uint64(len(s))); b.WriteString(s) }
	b.WriteString("GGUF")
	w(uint32(3))
	w(uint64(len(ts)))
	w(uint64(len(kvs)))
	for _, kv := range kvs {
		str(kv.Key)
		writeValue(&b, kv.Val, str, w)
	}
	off := 0
	for _, t := range ts {
		str(t.name)
		w(uint32(len(t.dims)))
		for _, d := range t.dims {
			w(uint64(d))
		}
		w(uint32(t.typ))
		w(uint64(off))
		off += size(t)
		off += (defaultAlignment - off%defaultAlignment) % defaultAlignment
	}
	for b.Len()%defaultAlignment != 0 {
		b.WriteByte(0)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(f, 1<<20)
	out.Write(b.Bytes())
	x := uint64(0x9E3779B97F4A7C15)
	blk := make([]byte, 136)
	d := f16Bits(2e-5)
	written := 0
	for _, t := range ts {
		for written%defaultAlignment != 0 {
			out.WriteByte(0)
			written++
		}
		n := size(t)
		if t.typ == F32 {
			for i := 0; i < n/4; i++ {
				binary.Write(out, le, float32(1))
			}
		} else {
			for i := 0; i < n/136; i++ {
				for j := 0; j < 136; j += 8 { // xorshift64
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					var r [8]byte
					le.PutUint64(r[:], x)
					copy(blk[j:], r[:])
				}
				le.PutUint16(blk, d)
				out.Write(blk)
			}
		}
		written += n
	}
	if err := out.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
