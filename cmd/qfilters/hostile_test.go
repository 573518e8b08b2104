package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/internal/torchsave"
	"github.com/qfilters/qfilters/safetensors"
)

var update = flag.Bool("update", false, "rewrite docs/BAD_INPUTS.md from TestBadInputsTable's cases")

// storiesSrc is the embedded default model, in the repository.
var storiesSrc = filepath.Join("..", "..", "assets", "stories260K")

// storiesCorpus is the embedded default corpus (a relative path, so that it
// reads the same in the documentation on every machine).
var storiesCorpus = filepath.Join("..", "..", "assets", "tinystories-sampled", "train.jsonl")

// copyFlat copies the regular files of src into a new directory dst.
func copyFlat(t *testing.T, src, dst string) string {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// readTensors reads every tensor of a checkpoint, in data order.
func readTensors(t *testing.T, path string) []safetensors.Tensor {
	t.Helper()
	c, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []safetensors.Tensor
	for _, name := range c.Names() {
		tt, err := c.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tt)
	}
	return out
}

// shardModel rewrites dir/model.safetensors as two shards and an index, as
// transformers does for bigger models.
func shardModel(t *testing.T, dir string) {
	t.Helper()
	single := filepath.Join(dir, "model.safetensors")
	ts := readTensors(t, single)
	names := [2]string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}
	half := len(ts) / 2
	weightMap := map[string]string{}
	for i, part := range [][]safetensors.Tensor{ts[:half], ts[half:]} {
		if err := safetensors.Write(filepath.Join(dir, names[i]), part, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range part {
			weightMap[tt.Name] = names[i]
		}
	}
	writeJSON(t, filepath.Join(dir, "model.safetensors.index.json"), map[string]any{"metadata": map[string]any{}, "weight_map": weightMap})
	os.Remove(single)
}

// toBF16 rewrites dir/model.safetensors with every F32 tensor in BF16
// (truncated: this is about dtypes, not accuracy).
func toBF16(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "model.safetensors")
	ts := readTensors(t, p)
	for i, tt := range ts {
		if tt.DType != safetensors.F32 {
			continue
		}
		b := make([]byte, len(tt.Data)/2)
		for j := range len(tt.Data) / 4 {
			binary.LittleEndian.PutUint16(b[2*j:], uint16(binary.LittleEndian.Uint32(tt.Data[4*j:])>>16))
		}
		ts[i].DType, ts[i].Data = safetensors.BF16, b
	}
	if err := safetensors.Write(p, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

// poison sets element elem of tensor name in dir/model.safetensors to the
// given F32 or BF16 bit pattern.
func poison(t *testing.T, dir, name string, elem int, f32 uint32) {
	t.Helper()
	p := filepath.Join(dir, "model.safetensors")
	ts := readTensors(t, p)
	for i, tt := range ts {
		if tt.Name != name {
			continue
		}
		switch tt.DType {
		case safetensors.F32:
			binary.LittleEndian.PutUint32(ts[i].Data[4*elem:], f32)
		case safetensors.BF16:
			binary.LittleEndian.PutUint16(ts[i].Data[2*elem:], uint16(f32>>16))
		default:
			t.Fatalf("poison: %s is %s", name, tt.DType)
		}
	}
	if err := safetensors.Write(p, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

// editHeader rewrites the JSON header of a safetensors file, keeping its
// data section as it is.
func editHeader(t *testing.T, path string, edit func(h map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var h map[string]any
	dec := json.NewDecoder(bytes.NewReader(b[8 : 8+n]))
	dec.UseNumber()
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	hdr, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	out = append(append(out, hdr...), b[8+n:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// entry returns tensor name's header entry for editing.
func entry(h map[string]any, name string) map[string]any { return h[name].(map[string]any) }

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	os.Remove(link)
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
}

// hostileEnv is where a case runs: root holds everything it creates; model
// (a copy of stories260K) and corpus are passed with --model and --corpus
// unless emptied; extra flags follow.
type hostileEnv struct {
	root, model, corpus string
	extra               []string
	// cmd, when set, replaces the calibrate command line (--model, --corpus
	// and extra are still appended).
	cmd []string
	// command, when set, is the whole command line (nothing appended).
	command []string
	// stdin is the command's standard input (qfilters tokenize).
	stdin string
}

const (
	q0 = "model.layers.0.self_attn.q_proj.weight"
	k1 = "model.layers.1.self_attn.k_proj.weight"
)

// hostileCase is one bad input, its exit code and a piece of its message.
type hostileCase struct {
	input string
	setup func(t *testing.T, e *hostileEnv)
	code  int
	want  string
}

func (e *hostileEnv) shard(name string) string { return filepath.Join(e.model, name) }

func (e *hostileEnv) st() string { return filepath.Join(e.model, "model.safetensors") }

// hostileCases are every bad input tried; docs/BAD_INPUTS.md is their table.
func hostileCases() []hostileCase {
	shard2 := "model-00002-of-00002.safetensors"
	return append([]hostileCase{
		// Checkpoint files.
		{"sharded checkpoint with a shard missing", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			os.Remove(e.shard(shard2))
		}, 1, "missing"},
		{"truncated shard (10 bytes cut)", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			fi, _ := os.Stat(e.shard(shard2))
			os.Truncate(e.shard(shard2), fi.Size()-10)
		}, 1, "truncated file?"},
		{"header length larger than the file (a 1 KB file claiming a 90 MB header)", func(t *testing.T, e *hostileEnv) {
			b := make([]byte, 1024)
			binary.LittleEndian.PutUint64(b, 90<<20)
			writeFile(t, e.st(), b)
		}, 1, "exceeds file size 1024"},
		{"header length over the 100 MB limit", func(t *testing.T, e *hostileEnv) {
			b, _ := os.ReadFile(e.st())
			binary.LittleEndian.PutUint64(b, 1<<40)
			writeFile(t, e.st(), b)
		}, 1, "exceeds limit of 100000000 bytes"},
		{"header that is not JSON", func(t *testing.T, e *hostileEnv) {
			b, _ := os.ReadFile(e.st())
			b[8] = '['
			writeFile(t, e.st(), b)
		}, 1, "header is not"},
		{"header that is not UTF-8", func(t *testing.T, e *hostileEnv) {
			b, _ := os.ReadFile(e.st())
			b[9] = 0xff
			writeFile(t, e.st(), b)
		}, 1, "not valid UTF-8"},
		{"file shorter than the 8-byte length prefix", func(t *testing.T, e *hostileEnv) {
			writeFile(t, e.st(), []byte{1, 2, 3})
		}, 1, "too short"},
		{"overlapping data_offsets", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) {
				// k_proj of layer 1 also claims the 4 bytes before it.
				off := entry(h, k1)["data_offsets"].([]any)
				b, _ := off[0].(json.Number).Int64()
				entry(h, k1)["data_offsets"] = []any{b - 4, b + 32*64*4 - 4}
			})
		}, 1, "overlap at byte"},
		{"data_offsets far outside the file (first tensor moved to 2^40)", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) {
				entry(h, "lm_head.weight")["data_offsets"] = []any{int64(1 << 40), int64(1<<40 + 512*64*4)}
			})
		}, 1, "hole in data section"},
		{"data_offsets past the end (last tensor shifted by 4 bytes)", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) {
				last, end := "", int64(0)
				for name, v := range h {
					if m, ok := v.(map[string]any); ok && name != "__metadata__" {
						if x, _ := m["data_offsets"].([]any)[1].(json.Number).Int64(); x > end {
							last, end = name, x
						}
					}
				}
				off := entry(h, last)["data_offsets"].([]any)
				b, _ := off[0].(json.Number).Int64()
				entry(h, last)["data_offsets"] = []any{b + 4, end + 4}
			})
		}, 1, "beyond data section"},
		{"shape whose product overflows int64", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) {
				entry(h, q0)["shape"] = []any{uint64(1) << 32, uint64(1) << 32, 4}
			})
		}, 1, "overflows"},
		{"dimension above int64", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) {
				entry(h, q0)["shape"] = []any{json.Number("18446744073709551615"), 1}
			})
		}, 1, "overflows"},
		{"dtype does not match the byte size (F32 tensor declared F16)", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) { entry(h, q0)["dtype"] = "F16" })
		}, 1, "needs 8192"},
		{"unknown dtype", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) { entry(h, q0)["dtype"] = "F4" })
		}, 1, `unknown dtype "F4"`},
		{"negative dimension", func(t *testing.T, e *hostileEnv) {
			editHeader(t, e.st(), func(h map[string]any) { entry(h, q0)["shape"] = []any{-64, -64} })
		}, 1, "shape is not a list of non-negative integers"},
		{"F32 weight that is NaN", func(t *testing.T, e *hostileEnv) {
			poison(t, e.model, q0, 5, 0x7fc00000)
		}, 1, "tensor " + q0 + ": NaN or Inf at [0][5]"},
		{"F32 weight that is +Inf", func(t *testing.T, e *hostileEnv) {
			poison(t, e.model, k1, 70, math.Float32bits(float32(math.Inf(1))))
		}, 1, "tensor " + k1 + ": NaN or Inf at [1][6]"},
		{"BF16 weight that is NaN", func(t *testing.T, e *hostileEnv) {
			toBF16(t, e.model)
			poison(t, e.model, q0, 5, 0x7fc00000)
		}, 1, "tensor " + q0 + ": NaN or Inf at [0][5]"},
		{"BF16 weight that is -Inf", func(t *testing.T, e *hostileEnv) {
			toBF16(t, e.model)
			poison(t, e.model, k1, 70, math.Float32bits(float32(math.Inf(-1))))
		}, 1, "tensor " + k1 + ": NaN or Inf at [1][6]"},

		// The index and where files may live.
		{"index entry with ../", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			editJSON(t, e.shard("model.safetensors.index.json"), func(v map[string]any) {
				v["weight_map"].(map[string]any)[q0] = "../outside/" + shard2
			})
		}, 1, "is not a plain file name"},
		{"index entry with an absolute path", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			editJSON(t, e.shard("model.safetensors.index.json"), func(v map[string]any) {
				v["weight_map"].(map[string]any)[q0] = "/etc/passwd"
			})
		}, 1, "is not a plain file name"},
		{"index entry in a subdirectory", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			editJSON(t, e.shard("model.safetensors.index.json"), func(v map[string]any) {
				v["weight_map"].(map[string]any)[q0] = "sub/" + shard2
			})
		}, 1, "is not a plain file name"},
		{"tensor missing from the index", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			editJSON(t, e.shard("model.safetensors.index.json"), func(v map[string]any) {
				delete(v["weight_map"].(map[string]any), k1)
			})
		}, 1, k1 + " missing"},
		{"index naming a tensor its shard does not hold", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			editJSON(t, e.shard("model.safetensors.index.json"), func(v map[string]any) {
				wm := v["weight_map"].(map[string]any)
				if wm[q0] == shard2 {
					wm[q0] = "model-00001-of-00002.safetensors"
				} else {
					wm[q0] = shard2
				}
			})
		}, 1, "absent from the shard"},
		{"index that is not JSON", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			writeFile(t, e.shard("model.safetensors.index.json"), []byte(`{"weight_map": `))
		}, 1, "index is not valid JSON"},
		{"model.safetensors symlinked to /etc/passwd", func(t *testing.T, e *hostileEnv) {
			if _, err := os.Stat("/etc/passwd"); err != nil {
				t.Skip(err)
			}
			symlink(t, "/etc/passwd", e.st())
		}, 1, "outside the model directory"},
		{"shard symlinked to ../secret outside the model directory", func(t *testing.T, e *hostileEnv) {
			shardModel(t, e.model)
			os.Rename(e.shard(shard2), filepath.Join(e.root, "secret"))
			symlink(t, filepath.Join("..", "secret"), e.shard(shard2))
		}, 1, "outside the model directory"},
		{"HF cache snapshot whose file links outside blobs (../../secret)", func(t *testing.T, e *hostileEnv) {
			snap := hfCache(t, e)
			os.Rename(filepath.Join(snap, "..", "..", "blobs", "weights"), filepath.Join(snap, "..", "..", "secret"))
			symlink(t, filepath.Join("..", "..", "secret"), filepath.Join(snap, "model.safetensors"))
		}, 1, "not in a Hugging Face cache blobs directory"},
		{"dangling symlink", func(t *testing.T, e *hostileEnv) {
			symlink(t, "gone.safetensors", e.st())
		}, 1, "dangling symlink"},
		{"symlink to a directory", func(t *testing.T, e *hostileEnv) {
			os.Mkdir(filepath.Join(e.model, "weights"), 0o755)
			symlink(t, "weights", e.st())
		}, 1, "not a regular file (a directory)"},
		{"symlink to a device (/dev/zero)", func(t *testing.T, e *hostileEnv) {
			if fi, err := os.Stat("/dev/zero"); err != nil || fi.Mode().IsRegular() {
				t.Skip("no /dev/zero")
			}
			symlink(t, "/dev/zero", e.st())
		}, 1, "not a regular file (a character device)"},
		{"model.safetensors that is a FIFO", func(t *testing.T, e *hostileEnv) {
			os.Remove(e.st())
			if err := mkfifo(e.st()); err != nil {
				t.Skip(err)
			}
		}, 1, "not a regular file (a named pipe)"},
		{"no weights at all", func(t *testing.T, e *hostileEnv) {
			os.Remove(e.st())
		}, 1, "directory has neither"},
		{"pytorch_model.bin whose pickle calls os.system (GLOBAL posix system)", func(t *testing.T, e *hostileEnv) {
			os.Remove(e.st())
			pkl := "\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."
			b, err := torchsave.Archive([]byte(pkl), nil, torchsave.Options{Archive: "pytorch_model"})
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(e.model, "pytorch_model.bin"), b)
		}, 1, `global "posix.system" is not allowed`},
		{"truncated pytorch_model.bin (last 100 bytes cut)", func(t *testing.T, e *hostileEnv) {
			toBin(t, e.model, 1)
			p := filepath.Join(e.model, "pytorch_model.bin")
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-100)
		}, 1, "no readable central directory (truncated?)"},

		// config.json.
		{"config.json missing", func(t *testing.T, e *hostileEnv) {
			os.Remove(filepath.Join(e.model, "config.json"))
		}, 1, "config.json"},
		{"config.json that is not JSON", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.model, "config.json"), []byte("{\"model_type\": "))
		}, 1, "invalid JSON"},
		{"config.json nested 100000 deep", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.model, "config.json"), []byte(strings.Repeat("[", 100000)+strings.Repeat("]", 100000)))
		}, 1, "invalid JSON"},
		{"unsupported architecture", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { v["model_type"] = "bert" })
		}, 1, `unsupported architecture: model_type "bert"`},
		{"config and weights disagree on a shape", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { v["intermediate_size"] = 100 })
		}, 1, "has shape [172 64], config says [100 64]"},
		{"config with an implausible size", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { v["hidden_size"] = 1 << 30 })
		}, 1, "not a plausible model size"},
		{"config.json of 1 GB (sparse file)", func(t *testing.T, e *hostileEnv) {
			p := filepath.Join(e.model, "config.json")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(`{"model_type": "llama", "x": "`)
			if err := f.Truncate(1 << 30); err != nil {
				t.Skip(err)
			}
			f.Close()
		}, 1, "not a model config"},
		{"config claiming 16777216 layers", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { v["num_hidden_layers"] = 1 << 24 })
		}, 1, "not a plausible model size"},
		{"config with a number where a string belongs", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { v["hidden_act"] = 7 })
		}, 1, "expected a string"},
		{"config with chunked_attention layers but no attention_chunk_size", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				types := make([]any, int(v["num_hidden_layers"].(float64)))
				for i := range types {
					types[i] = "chunked_attention"
				}
				v["layer_types"] = types
			})
		}, 1, "is chunked_attention but attention_chunk_size is not set"},
		{"SmolLM3 config whose no_rope_layers has the wrong length", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["model_type"], v["no_rope_layers"] = "smollm3", []int{1}
			})
		}, 1, "no_rope_layers has 1 entries"},
		{"Granite config with logits_scaling 0", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["model_type"], v["logits_scaling"] = "granite", 0
			})
		}, 1, "granite multipliers must be positive"},
		{"GLM-4.5 config whose n_group does not divide the experts", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["model_type"], v["n_routed_experts"], v["num_experts_per_tok"], v["n_group"] = "glm4_moe", 6, 2, 4
			})
		}, 1, "do not split 6 experts"},

		// Wrappers, FP8 and hub ids.
		{"multimodal wrapper whose text_config is an unsupported family", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				text := maps.Clone(v)
				text["model_type"] = "bert"
				clear(v)
				v["model_type"], v["architectures"], v["text_config"] = "llava", []string{"LlavaForConditionalGeneration"}, text
			})
		}, 1, `LlavaForConditionalGeneration wraps a language model of text_config model_type "bert", which is not supported`},
		{"hybrid (Qwen 3.5) config whose layer_types disagree with the tensors present", func(t *testing.T, e *hostileEnv) {
			useArch(t, e, "qwen3_5")
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["text_config"].(map[string]any)["layer_types"] = []string{"full_attention", "linear_attention", "linear_attention", "full_attention"}
			})
		}, 1, "layer_types says full_attention but it has model.layers.0.linear_attn.out_proj.weight (a linear-attention layer)"},
		{"Gemma 4 KV-shared layer with no earlier layer of its type to share", func(t *testing.T, e *hostileEnv) {
			useArch(t, e, "gemma4")
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["text_config"].(map[string]any)["layer_types"] = []string{"sliding_attention", "sliding_attention",
					"sliding_attention", "sliding_attention", "sliding_attention", "full_attention"}
			})
		}, 1, "layer 5 is full_attention and shares the cache of an earlier layer of its type, but none of the first 4 layers is one"},
		{"Gemma 4 wrapper without text_config", func(t *testing.T, e *hostileEnv) {
			useArch(t, e, "gemma4")
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { delete(v, "text_config") })
		}, 1, `model_type "gemma4" (a multimodal wrapper) needs a text_config object`},
		{"Qwen 3.5 wrapper without text_config", func(t *testing.T, e *hostileEnv) {
			useArch(t, e, "qwen3_5")
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) { delete(v, "text_config") })
		}, 1, `model_type "qwen3_5" (a multimodal wrapper) needs a text_config object`},
		{"FP8 tensor without its scale", func(t *testing.T, e *hostileEnv) {
			ts := readTensors(t, e.st())
			for i, tn := range ts {
				if tn.Name == q0 {
					ts[i] = safetensors.Tensor{Name: q0, DType: safetensors.F8E4M3, Shape: tn.Shape, Data: make([]byte, tn.NumElements())}
				}
			}
			if err := safetensors.Write(e.st(), ts, nil); err != nil {
				t.Fatal(err)
			}
		}, 1, "is stored in FP8 but the checkpoint has no scale for it"},
		{"quantization_config with an unknown quant_method (gptq)", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["quantization_config"] = map[string]any{"quant_method": "gptq", "bits": 4}
			})
		}, 1, `quant_method "gptq" is not supported`},
		{"Hugging Face id missing from the cache", func(t *testing.T, e *hostileEnv) {
			t.Setenv("HF_HUB_CACHE", filepath.Join(e.root, "hub"))
			e.model = "org/missing"
		}, 1, "fetch it with `hf download org/missing`"},
		{"Hugging Face id whose snapshot holds two GGUF files and no config.json", func(t *testing.T, e *hostileEnv) {
			hub := filepath.Join(e.root, "hub")
			t.Setenv("HF_HUB_CACHE", hub)
			snap := filepath.Join(hub, "models--org--ggufs", "snapshots", "0123456789abcdef0123456789abcdef01234567")
			for _, d := range []string{snap, filepath.Join(hub, "models--org--ggufs", "refs")} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, filepath.Join(hub, "models--org--ggufs", "refs", "main"), []byte(filepath.Base(snap)))
			writeFile(t, filepath.Join(snap, "m-q4_0.gguf"), []byte("GGUF"))
			writeFile(t, filepath.Join(snap, "m-q8_0.gguf"), []byte("GGUF"))
			e.model = "org/ggufs"
		}, 2, "holds 2 GGUF files (m-q4_0.gguf, m-q8_0.gguf)"},

		// tokenizer.json (read only for text corpora).
		{"tokenizer.json missing, text corpus", func(t *testing.T, e *hostileEnv) {
			os.Remove(filepath.Join(e.model, "tokenizer.json"))
		}, 1, "needs the model's tokenizer"},
		{"tokenizer.json that is not JSON", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.model, "tokenizer.json"), []byte("{"))
		}, 1, "tokenizer.json: invalid JSON"},
		{"tokenizer.json nested a million deep", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.model, "tokenizer.json"), []byte(`{"model": `+strings.Repeat(`{"a":`, 1<<20)+`1`+strings.Repeat(`}`, 1<<20)+`}`))
		}, 1, "exceeded max depth"},
		{"tokenizer.json with an unsupported model", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.model, "tokenizer.json"), []byte(`{"model": {"type": "Unigram", "vocab": []}}`))
		}, 1, "Unigram"},
		{"tokenizer_config.json with legacy not a boolean", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.model, "tokenizer_config.json"), []byte(`{"tokenizer_class": "LlamaTokenizer", "legacy": "yes"}`))
		}, 1, "legacy: not true or false"},

		// Corpora.
		{"corpus missing", func(t *testing.T, e *hostileEnv) { e.corpus = filepath.Join(e.root, "nope.jsonl") }, 1, "nope.jsonl"},
		{"empty corpus", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "empty.jsonl")
			writeFile(t, e.corpus, nil)
		}, 1, "no documents"},
		{"no document long enough", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--seq-len", "4096"} },
			1, "96 documents seen, longest"},
		{"invalid JSON line", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "bad.jsonl")
			writeFile(t, e.corpus, []byte("{\"text\": \"a\"}\n{\"text\": oops}\n"))
		}, 1, "bad.jsonl:2"},
		{"JSON line of 70 MB (over the 64 MiB line bound)", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "huge.jsonl")
			f, err := os.Create(e.corpus)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(`{"text": "`)
			chunk := bytes.Repeat([]byte("a"), 1<<20)
			for range 70 {
				f.Write(chunk)
			}
			f.WriteString("\"}\n")
			f.Close()
		}, 1, "huge.jsonl:1"},
		{"input_ids with a negative id", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "ids.jsonl")
			writeFile(t, e.corpus, []byte(`{"input_ids": [1, 2, -3]}`+"\n"))
		}, 1, "ids.jsonl:1"},
		{"input_ids outside the vocabulary", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "ids.jsonl")
			writeFile(t, e.corpus, []byte(`{"input_ids": [1, 2, 99999]}`+"\n"))
		}, 1, "outside the vocabulary [0, 512)"},
		{"text field of the wrong type", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "num.jsonl")
			writeFile(t, e.corpus, []byte(`{"text": 42}`+"\n"))
		}, 1, "num.jsonl:1"},
		{"corpus that is a directory without corpus files", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "emptydir")
			os.Mkdir(e.corpus, 0o755)
		}, 1, "emptydir"},
		{"corpus with an unknown extension", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "corpus.csv")
			writeFile(t, e.corpus, []byte("text\nhello\n"))
		}, 1, "corpus.csv"},
		{"parquet file that is not parquet", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "fake.parquet")
			writeFile(t, e.corpus, []byte("PAR1 not really"))
		}, 1, "fake.parquet"},

		// Command line.
		{"--model without --corpus", func(t *testing.T, e *hostileEnv) { e.corpus = "" }, 2, "--corpus is required"},
		{"--samples that is not a number", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--samples", "lots"} }, 2, "--samples must be"},
		{"--precision that is not f32 or bf16", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--precision", "f16"} }, 2, `--precision must be f32 or bf16, got "f16"`},
		{"--sign that is not vote or mean", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--sign", "median"} }, 2, "--sign must be vote or mean"},
		{"unknown flag", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--bogus"} }, 2, "unknown flag: --bogus"},
		{"--seq-len 0", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--seq-len", "0"} }, 2, "--seq-len must be positive, got 0"},
		{"--num-seqs -1", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--num-seqs", "-1"} }, 2, "--num-seqs must be positive, got -1"},
		{"--seed that is not a number", func(t *testing.T, e *hostileEnv) { e.extra = []string{"--seed", "x"} }, 2, `--seed must be a whole number, got "x"`},
		{"an argument calibrate does not take", func(t *testing.T, e *hostileEnv) { e.extra = []string{"model"} }, 2, `calibrate takes no arguments, got "model"`},
		{"--model directory that does not exist", func(t *testing.T, e *hostileEnv) { e.model = filepath.Join(e.root, "nomodel") }, 1, "nomodel"},
		{"eval --stats whose shapes do not match the model", func(t *testing.T, e *hostileEnv) {
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			writeExpStats(t, filepath.Join(e.root, "stats"), 5, 8, 16)
			e.cmd = []string{"eval", "--filters", filters, "--stats", filepath.Join(e.root, "stats"), "--quiet", "--seq-len", "64", "--cache-size", "-1"}
		}, 1, "does not fit"},
		{"eval --stats naming a filter directory", func(t *testing.T, e *hostileEnv) {
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			e.cmd = []string{"eval", "--filters", filters, "--stats", filters, "--quiet", "--seq-len", "64", "--cache-size", "-1"}
		}, 1, "lacks num_layers, num_heads or head_dim"},
		{"eval --stats directory that does not exist", func(t *testing.T, e *hostileEnv) {
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			e.cmd = []string{"eval", "--filters", filters, "--stats", filepath.Join(e.root, "nostats"), "--quiet", "--seq-len", "64", "--cache-size", "-1"}
		}, 1, "statistics directory $TMP/nostats: no such file or directory"},
		{"eval of a model whose every layer has a sliding window shorter than the keys a query needs", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["sliding_window"] = 16
				v["layer_types"] = []any{"sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention"}
			})
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			e.cmd = []string{"eval", "--filters", filters, "--quiet", "--seq-len", "64", "--cache-size", "-1"}
		}, 1, "at most 16 keys, fewer than the 64 a query needs"},
		{"stats --n-sink at least as long as every sample", func(t *testing.T, e *hostileEnv) {
			e.cmd = []string{"stats", "--out", filepath.Join(e.root, "out", "out"), "--quiet", "--num-samples", "3", "--sample-chars", "20", "--n-sink", "50"}
		}, 1, "leaves 0 queries"},
		{"calibrate --also-stats with --stats-out", func(t *testing.T, e *hostileEnv) {
			e.cmd = []string{"calibrate", "--quiet", "--seq-len", "32", "--num-seqs", "2",
				"--also-stats", filepath.Join(e.root, "out", "stats"), "--stats-out", filepath.Join(e.root, "out", "part")}
		}, 2, "--also-stats and --stats-out exclude each other"},
		{"calibrate --also-stats with sequences no longer than its 4 sink tokens", func(t *testing.T, e *hostileEnv) {
			e.cmd = []string{"calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filepath.Join(e.root, "out", "out"), "--quiet",
				"--seq-len", "4", "--num-seqs", "2", "--also-stats", filepath.Join(e.root, "out", "stats")}
		}, 2, "leaves 0 queries per head"},
		{"stats with fewer documents than --num-samples", func(t *testing.T, e *hostileEnv) {
			e.cmd = []string{"stats", "--out", filepath.Join(e.root, "out", "out"), "--quiet", "--num-samples", "500"}
		}, 1, "fewer than --num-samples 500"},
		{"stats of an empty corpus", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "empty.jsonl")
			writeFile(t, e.corpus, nil)
			e.cmd = []string{"stats", "--out", filepath.Join(e.root, "out", "out"), "--quiet"}
		}, 1, "corpus $TMP/empty.jsonl has no documents"},
		{"calibrate --also-stats inside the --out directory", func(t *testing.T, e *hostileEnv) {
			e.extra = []string{"--also-stats", filepath.Join(e.root, "out", "out", "stats")}
		}, 2, "overlap: give each a directory of its own"},
		{"--out under a regular file", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.root, "file"), []byte("mine"))
			e.cmd = []string{"calibrate", "--out", filepath.Join(e.root, "file", "out"), "--quiet", "--seq-len", "32", "--num-seqs", "2"}
		}, 1, "output $TMP/file/out: $TMP/file is not a directory"},
		{"existing output without --force", func(t *testing.T, e *hostileEnv) {
			os.MkdirAll(filepath.Join(e.root, "out", "out"), 0o755)
		}, 1, "already exists (use --force to replace it)"},
		{"gzip corpus cut short", func(t *testing.T, e *hostileEnv) {
			plain, _ := os.ReadFile(storiesCorpus)
			var gz bytes.Buffer
			w := gzip.NewWriter(&gz)
			w.Write(plain)
			w.Close()
			e.corpus = filepath.Join(e.root, "train.jsonl.gz")
			writeFile(t, e.corpus, gz.Bytes()[:100]) // inside the first story
		}, 1, "gzip (corrupt or truncated): unexpected EOF"},
		{"corpus named .txt.gz that is xz-compressed", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "train.txt.gz")
			writeFile(t, e.corpus, []byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46"))
		}, 1, "xz"},
		{"UTF-16 text corpus (byte order mark FF FE)", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "train.txt")
			writeFile(t, e.corpus, []byte("\xff\xfeO\x00n\x00c\x00e\x00"))
		}, 1, "UTF-16LE"},
		{"JSON array corpus with a number among its objects", func(t *testing.T, e *hostileEnv) {
			e.corpus = filepath.Join(e.root, "train.json")
			writeFile(t, e.corpus, []byte(`[{"text": "Once upon a time"}, 7]`))
		}, 1, "$TMP/train.json[1]: not a JSON object (got a number)"},
		{"--force over a directory qfilters did not write", func(t *testing.T, e *hostileEnv) {
			os.MkdirAll(filepath.Join(e.root, "out", "out"), 0o755)
			writeFile(t, filepath.Join(e.root, "out", "out", "notes.txt"), []byte("mine"))
			e.extra = []string{"--force"}
		}, 1, "refusing to replace $TMP/out/out: it holds notes.txt, which qfilters did not write (--force replaces only a directory qfilters wrote)"},
		{"--force over a directory of qfilters' file names with a foreign config.json", func(t *testing.T, e *hostileEnv) {
			os.MkdirAll(filepath.Join(e.root, "out", "out"), 0o755)
			writeFile(t, filepath.Join(e.root, "out", "out", "config.json"), []byte(`{"model_type": "llama"}`))
			e.extra = []string{"--force"}
		}, 1, "refusing to replace $TMP/out/out: its config.json is not one qfilters writes"},
		{"--force with --out the model directory", func(t *testing.T, e *hostileEnv) {
			e.cmd = []string{"calibrate", "--out", e.model, "--force", "--quiet", "--seq-len", "32", "--num-seqs", "2"}
		}, 1, "refusing to replace $TMP/model: it holds the input $TMP/model"},
		{"--force with --out a directory above the corpus", func(t *testing.T, e *hostileEnv) {
			os.MkdirAll(filepath.Join(e.root, "data"), 0o755)
			corpus, _ := os.ReadFile(storiesCorpus)
			writeFile(t, filepath.Join(e.root, "data", "train.jsonl"), corpus)
			e.corpus = filepath.Join(e.root, "data", "train.jsonl")
			e.cmd = []string{"calibrate", "--out", filepath.Join(e.root, "data"), "--force", "--quiet", "--seq-len", "32", "--num-seqs", "2"}
		}, 1, "refusing to replace $TMP/data: it holds the input $TMP/data/train.jsonl"},
		{"--force with --stats-out a file qfilters did not write", func(t *testing.T, e *hostileEnv) {
			writeFile(t, filepath.Join(e.root, "out", "out"), []byte("mine"))
			e.cmd = []string{"calibrate", "--shard", "0/2", "--stats-out", filepath.Join(e.root, "out", "out"), "--force", "--quiet", "--seq-len", "32", "--num-seqs", "2"}
		}, 1, "refusing to replace $TMP/out/out: it is not a statistics file qfilters wrote"},

		// Other commands.
		{"inspect of a directory that does not exist", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"inspect", filepath.Join(e.root, "nope")}
		}, 1, "filter directory $TMP/nope: no such file or directory"},
		{"inspect of a model directory (not filters)", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"inspect", e.model}
		}, 1, "(not a filter directory)"},
		{"inspect of a directory without config.json", func(t *testing.T, e *hostileEnv) {
			os.Remove(filepath.Join(e.model, "config.json"))
			e.command = []string{"inspect", e.model}
		}, 1, "no config.json (not a filter directory)"},
		{"inspect --png under a file (missing directories are created)", func(t *testing.T, e *hostileEnv) {
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--model", e.model, "--corpus", e.corpus, "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			notes := filepath.Join(e.root, "notes.txt")
			if err := os.WriteFile(notes, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			e.command = []string{"inspect", "--png", filepath.Join(notes, "x.png"), filters}
		}, 2, "$TMP/notes.txt/x.png: $TMP/notes.txt is not a directory"},
		{"eval of the embedded model with a --seq-len longer than its stories", func(t *testing.T, e *hostileEnv) {
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			e.command = []string{"eval", "--filters", filters, "--quiet", "--seq-len", "4096"}
		}, 1, "embedded:tinystories-sampled/train.jsonl has the 4096 tokens of --seq-len"},
		{"eval with a --cache-size that never overflows before the last prediction", func(t *testing.T, e *hostileEnv) {
			filters := filepath.Join(e.root, "filters")
			if code, _, stderr := runCLI(t, "calibrate", "--out", filters, "--quiet", "--seq-len", "32", "--num-seqs", "2"); code != 0 {
				t.Fatal(stderr)
			}
			e.command = []string{"eval", "--filters", filters, "--quiet", "--cache-size", "254"}
		}, 2, "--cache-size 254: a cache of 254 entries never overflows before the last prediction of a 256-token sequence (step 254): use at most 253"},
		{"diff with one directory", func(t *testing.T, e *hostileEnv) { e.command = []string{"diff", e.model} }, 2, "diff takes 2 arguments, got 1"},
		{"diff --min-cos NaN", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"diff", e.model, e.model, "--min-cos", "NaN"}
		}, 2, "--min-cos must be a number, got NaN"},
		{"tokenize of a blank line", func(t *testing.T, e *hostileEnv) {
			e.command, e.stdin = []string{"tokenize", "--model", e.model}, "\n"
		}, 1, "standard input, line 1: blank line"},
		{"synth over an existing output", func(t *testing.T, e *hostileEnv) {
			os.MkdirAll(filepath.Join(e.root, "out", "out"), 0o755)
			e.command = []string{"synth", "--preset", "small", "--out", filepath.Join(e.root, "out", "out")}
		}, 1, "output $TMP/out/out already exists"},
		{"bench with a --precision that is not f32 or bf16", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"bench", "--precision", "f16"}
		}, 2, `--precision must be f32 or bf16, got "f16"`},
		{"tokenize --model that does not exist", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"tokenize", "--model", filepath.Join(e.root, "nomodel")}
		}, 1, "--model $TMP/nomodel: no such file or directory"},
		{"merge of a file that is not a stats file", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"merge", "--out", filepath.Join(e.root, "out", "out"), filepath.Join(e.model, "config.json")}
		}, 1, "config.json: not a qfilters stats file"},
		{"merge --sign of Expected Attention statistics shards", func(t *testing.T, e *hostileEnv) {
			part := filepath.Join(e.root, "part.safetensors")
			if code, _, stderr := runCLI(t, "stats", "--quiet", "--num-samples", "4", "--stats-out", part); code != 0 {
				t.Fatal(stderr)
			}
			e.command = []string{"merge", "--sign", "mean", "--out", filepath.Join(e.root, "out", "out"), part}
		}, 2, "which have none"},
		{"merge with a --sign that is not vote or mean", func(t *testing.T, e *hostileEnv) {
			e.command = []string{"merge", "--sign", "median", "--out", filepath.Join(e.root, "out", "out"), filepath.Join(e.model, "config.json")}
		}, 2, `--sign must be vote or mean, got "median"`},
		{"QFILTERS_KERNELS naming no kernel path", func(t *testing.T, e *hostileEnv) {
			t.Setenv("QFILTERS_KERNELS", "avx9000")
		}, 2, "QFILTERS_KERNELS=avx9000 is not a kernel path"},
	}, append(append(append(ggufHostileCases(), gguf2026HostileCases()...), hostileStatsCases()...), ropeHostileCases()...)...)
}

// hfCache turns e.model into a Hugging Face hub cache snapshot below e.root:
// hub/models--org--stories/snapshots/rev/<file> -> ../../blobs/<name>, and
// points e.model at the snapshot. It returns the snapshot directory.
func hfCache(t *testing.T, e *hostileEnv) string {
	t.Helper()
	repo := filepath.Join(e.root, "hub", "models--org--stories")
	snap := filepath.Join(repo, "snapshots", "0123abcd")
	blobs := filepath.Join(repo, "blobs")
	for _, d := range []string{snap, blobs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(e.model)
	for _, de := range entries {
		blob := strings.TrimSuffix(de.Name(), filepath.Ext(de.Name()))
		if de.Name() == "model.safetensors" {
			blob = "weights"
		}
		if err := os.Rename(filepath.Join(e.model, de.Name()), filepath.Join(blobs, blob)); err != nil {
			t.Fatal(err)
		}
		symlink(t, filepath.Join("..", "..", "blobs", blob), filepath.Join(snap, de.Name()))
	}
	e.model = snap
	return snap
}

// runHostile runs one case in a fresh root and returns the exit code and
// stderr with the root replaced by $TMP. It fails the test if the tool
// panicked, wrote more than one line, or left anything in the output's
// parent directory.
func runHostile(t *testing.T, c hostileCase) (int, string) {
	t.Helper()
	root := t.TempDir()
	e := &hostileEnv{root: root, model: copyFlat(t, storiesSrc, filepath.Join(root, "model")), corpus: storiesCorpus}
	parent := filepath.Join(root, "out")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	c.setup(t, e)
	before, _ := os.ReadDir(parent)
	args := []string{"calibrate", "--out", filepath.Join(parent, "out"), "--quiet", "--seq-len", "32", "--num-seqs", "2"}
	if e.cmd != nil {
		args = e.cmd
	}
	if e.model != "" {
		args = append(args, "--model", e.model)
	}
	if e.corpus != "" {
		args = append(args, "--corpus", e.corpus)
	}
	args = append(args, e.extra...)
	if e.command != nil {
		args = e.command
	}
	var outb, errb bytes.Buffer
	code := run(args, strings.NewReader(e.stdin), &outb, &errb)
	stdout, stderr := outb.String(), errb.String()
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "qfilters: ") {
		t.Errorf("stderr is not one qfilters: line: %q", stderr)
	}
	if strings.Contains(stderr, "internal error") {
		t.Errorf("panic: %s", stderr)
	}
	if after, _ := os.ReadDir(parent); len(after) != len(before) {
		t.Errorf("left behind in the output's parent: %v", after)
	}
	msg := strings.TrimSuffix(stderr, "\n")
	if real, err := filepath.EvalSymlinks(root); err == nil && real != root {
		msg = strings.ReplaceAll(msg, real, "$TMP")
	}
	return code, strings.ReplaceAll(msg, root, "$TMP")
}

// TestBadInputsTable runs every hostile case through the CLI: one line on
// stderr, the expected exit code, no panic, nothing written. With -update
// it rewrites docs/BAD_INPUTS.md from the results; otherwise it fails when
// the document differs from what the tool says today.
func TestBadInputsTable(t *testing.T) {
	cases := hostileCases()
	rows := make([]string, len(cases))
	complete := true
	for i, c := range cases {
		ok := t.Run(c.input, func(t *testing.T) {
			code, msg := runHostile(t, c)
			if code != c.code {
				t.Errorf("exit code %d, want %d (%s)", code, c.code, msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("stderr %q does not mention %q", msg, c.want)
			}
			rows[i] = fmt.Sprintf("| %s | %s | %d |", mdCell(c.input), "`"+mdCell(msg)+"`", code)
		})
		if !ok || rows[i] == "" {
			complete = false
		}
	}
	if !complete {
		t.Log("some cases failed or were skipped: docs/BAD_INPUTS.md not compared")
		return
	}
	doc := badInputsDoc(rows)
	path := filepath.Join("..", "..", "docs", "BAD_INPUTS.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/qfilters -run TestBadInputsTable -update)", err)
	}
	if string(have) != doc {
		hl, dl := strings.Split(string(have), "\n"), strings.Split(doc, "\n")
		for i := range max(len(hl), len(dl)) {
			if i >= len(hl) || i >= len(dl) || hl[i] != dl[i] {
				t.Errorf("docs/BAD_INPUTS.md is stale (go test ./cmd/qfilters -run TestBadInputsTable -update); first difference at line %d:\n doc: %s\n now: %s",
					i+1, lineAt(hl, i), lineAt(dl, i))
				break
			}
		}
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "`", "'")
}

// badInputsDoc is docs/BAD_INPUTS.md around the generated rows.
func badInputsDoc(rows []string) string {
	var b strings.Builder
	b.WriteString(badInputsHead)
	b.WriteString("| input | what qfilters says on stderr | exit |\n| --- | --- | --- |\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	b.WriteString(badInputsTail)
	b.WriteString(fuzzTargets())
	return b.String()
}

const badInputsHead = `# Bad inputs

Checkpoints, tokenizers and corpora come from the internet, and ` + "`qfilters`" + `
runs in CI with write access. This is every bad input we feed it on purpose
and what it answers. In every case the answer is one line on stderr starting
with ` + "`qfilters: `" + `, a non-zero exit (1 for bad data, 2 for a bad command
line), no panic, and nothing written: no output directory and no temporary
directory beside it.

The table is generated by ` + "`TestBadInputsTable`" + ` in
` + "`cmd/qfilters/hostile_test.go`" + `, which runs each case through the CLI
(` + "`qfilters calibrate --model $TMP/model --corpus CORPUS --out $TMP/out/out --quiet --seq-len 32 --num-seqs 2`" + `
on a copy of the embedded stories260K model, edited as the first column says;
rows about stats files and checkpoints run ` + "`qfilters merge`" + ` or ` + "`--resume`" + `, and rows that name
another command run it)
and fails when this file is out of date. ` + "`$TMP`" + ` stands for the test's
temporary directory. Regenerate with

    go test ./cmd/qfilters -run TestBadInputsTable -update

## Where model files may live

A shard (and ` + "`model.safetensors`" + `, and the index) may be a symlink when its
resolved target is a regular file inside the model directory, or when the
model directory is a snapshot of the Hugging Face hub cache (its parent is
named ` + "`snapshots`" + ` and the directory above holds a real ` + "`blobs`" + ` directory)
and the target resolves inside that ` + "`blobs`" + ` directory:
` + "`models--org--name/snapshots/<rev>/model.safetensors -> ../../blobs/<sha>`" + `.
Anything else is refused before the file is opened, naming the file: a
symlink to ` + "`/etc/passwd`" + ` or to ` + "`../../secret`" + ` outside the cache, a dangling
symlink, a symlink to a directory or device, a FIFO. Index entries must be
plain file names: ` + "`/`" + `, ` + "`..`" + ` and absolute paths are refused even in a
snapshot.
The same rules hold for ` + "`pytorch_model.bin`" + `, its shards and
` + "`pytorch_model.bin.index.json`" + `, read when a directory has no safetensors. Their
pickles are never run: only the opcodes and globals torch.save writes for
tensors are understood, anything else is refused by name.

## The table

`

const badInputsTail = `
## Also tested, elsewhere

- Interrupting a run (SIGINT, SIGTERM), with and without ` + "`--force`" + ` over an
  existing output: ` + "`cmd/qfilters/interrupt_test.go`" + `. The process exits
  non-zero with one line (` + "`qfilters: interrupted: nothing was written`" + `),
  leaves no output or temporary directory, and an existing output directory
  stays as it was.
- Invalid UTF-8 in a text corpus is not an error: as the tokenizer package
  documents (and as Hugging Face does, which can only see valid UTF-8), each
  maximal invalid subpart becomes U+FFFD before tokenization
  (` + "`TestInvalidUTF8Corpus`" + `).
- A header claiming 90 MB on a 1 KB file is refused without allocating it
  (` + "`TestHugeHeaderClaimAllocatesLittle`" + `).
`

// fuzzTargets lists the repository's fuzz targets for docs/BAD_INPUTS.md,
// found in the sources so that the list cannot go stale.
func fuzzTargets() string {
	var names []string
	root := filepath.Join("..", "..")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		pkg := filepath.Base(filepath.Dir(path))
		for _, line := range strings.Split(string(src), "\n") {
			if name, ok := strings.CutPrefix(line, "func Fuzz"); ok {
				names = append(names, "`"+pkg+".Fuzz"+name[:strings.Index(name, "(")]+"`")
			}
		}
		return nil
	})
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("- Fuzz targets (`make fuzz`; `.ci/run` runs each for 10 s plain and 10 s coverage-guided):")
	width := len("- Fuzz targets (`make fuzz`; `.ci/run` runs each for 10 s plain and 10 s coverage-guided):")
	for i, n := range names {
		sep := ","
		if i == len(names)-1 {
			sep = "."
		}
		if width+1+len(n)+1 > 78 {
			b.WriteString("\n ")
			width = 1
		}
		b.WriteString(" " + n + sep)
		width += 1 + len(n) + 1
	}
	b.WriteString("\n")
	return b.String()
}

// TestHugeHeaderClaimAllocatesLittle: a 1 KB file claiming a 90 MB header
// is refused without allocating the claimed size.
func TestHugeHeaderClaimAllocatesLittle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.safetensors")
	b := make([]byte, 1024)
	binary.LittleEndian.PutUint64(b, 90<<20)
	writeFile(t, p, b)
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for range 10 {
		if _, err := safetensors.Open(p); err == nil {
			t.Fatal("accepted")
		}
	}
	runtime.ReadMemStats(&ms1)
	if per := (ms1.TotalAlloc - ms0.TotalAlloc) / 10; per > 64<<10 {
		t.Errorf("Open allocated %d bytes per call on a 1 KB file claiming a 90 MB header", per)
	}
}

// TestCalibrateHFCacheSnapshot: the most common real layout, a Hugging Face
// hub cache snapshot whose every file is a symlink into ../../blobs,
// calibrates like the plain directory, byte for byte.
func TestCalibrateHFCacheSnapshot(t *testing.T) {
	root := t.TempDir()
	plain := copyFlat(t, storiesSrc, filepath.Join(root, "stories"))
	e := &hostileEnv{root: root, model: copyFlat(t, storiesSrc, filepath.Join(root, "model"))}
	snap := hfCache(t, e)
	var outs []string
	for i, m := range []string{plain, snap} {
		out := filepath.Join(root, fmt.Sprint("out", i))
		code, _, stderr := runCLI(t, "calibrate", "--model", m, "--corpus", storiesCorpus, "--out", out, "--quiet", "--seq-len", "32", "--num-seqs", "2")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", m, code, stderr)
		}
		outs = append(outs, out)
	}
	a, _ := os.ReadFile(filepath.Join(outs[0], "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(outs[1], "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the snapshot's filters differ from the plain directory's")
	}
}

// TestInvalidUTF8Corpus: invalid UTF-8 in a text corpus is not an error; as
// the tokenizer package documents, each maximal invalid subpart becomes
// U+FFFD, so a corpus with invalid bytes (plain text or raw bytes inside
// JSON strings) calibrates exactly like the same corpus with U+FFFD written
// in their place.
func TestInvalidUTF8Corpus(t *testing.T) {
	root := t.TempDir()
	story, err := os.ReadFile(storiesCorpus)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, line := range bytes.Split(bytes.TrimSpace(story), []byte("\n"))[:4] {
		var v struct{ Text string }
		json.Unmarshal(line, &v)
		docs = append(docs, v.Text)
	}
	bad := []string{"\xff", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"}
	fixed := []string{"\ufffd", "\ufffd", "\ufffd\ufffd\ufffd", "\ufffd\ufffd", "\ufffd\ufffd\ufffd\ufffd"}
	var raw, repl strings.Builder
	for i, d := range docs {
		words := strings.SplitN(d, " ", 3)
		raw.WriteString(words[0] + " " + bad[i%len(bad)] + words[1] + " " + words[2] + "\n\n")
		repl.WriteString(words[0] + " " + fixed[i%len(fixed)] + words[1] + " " + words[2] + "\n\n")
	}
	var outs [][]byte
	jsonl := func(text string) string {
		var b strings.Builder
		for _, d := range strings.Split(strings.TrimSpace(text), "\n\n") {
			// Raw bytes inside the JSON string, not \u escapes.
			b.WriteString(`{"text": "`)
			for _, c := range []byte(d) {
				switch {
				case c == '"' || c == '\\':
					b.WriteByte('\\')
					b.WriteByte(c)
				case c < 0x20:
					fmt.Fprintf(&b, `\u%04x`, c)
				default:
					b.WriteByte(c)
				}
			}
			b.WriteString(`"}` + "\n")
		}
		return b.String()
	}
	for i, text := range []string{raw.String(), repl.String(), jsonl(raw.String()), jsonl(repl.String())} {
		name := fmt.Sprintf("c%d.txt", i)
		if i >= 2 {
			name = fmt.Sprintf("c%d.jsonl", i)
		}
		corpus := filepath.Join(root, name)
		writeFile(t, corpus, []byte(text))
		out := filepath.Join(root, fmt.Sprint("out", i))
		code, _, stderr := runCLI(t, "calibrate", "--model", storiesSrc, "--corpus", corpus, "--out", out, "--quiet", "--seq-len", "32", "--num-seqs", "4")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("text corpus: invalid UTF-8 does not calibrate as U+FFFD does")
	}
	if !bytes.Equal(outs[2], outs[3]) || !bytes.Equal(outs[0], outs[2]) {
		t.Error("JSON Lines corpus: invalid UTF-8 does not calibrate as U+FFFD does, or differs from the text corpus")
	}
}

// TestTokenizeInvalidUTF8 checks that qfilters tokenize treats invalid UTF-8
// in a JSON line as calibrate and the tokenizer package do: one U+FFFD per
// maximal invalid subpart (encoding/json, which it once used, gives one per
// byte: "\xe2\x82" became two), so that both give the same ids.
func TestTokenizeInvalidUTF8(t *testing.T) {
	bad := []string{"\xff", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"}
	fixed := []string{"\ufffd", "\ufffd", "\ufffd\ufffd\ufffd", "\ufffd\ufffd", "\ufffd\ufffd\ufffd\ufffd"}
	var lines [2]string
	for i, s := range []string{"Once " + strings.Join(bad, " x ") + " end", "Once " + strings.Join(fixed, " x ") + " end"} {
		var out, errb bytes.Buffer
		in := `{"text": "` + s + `"}` + "\n"
		if code := run([]string{"tokenize", "--model", storiesSrc}, strings.NewReader(in), &out, &errb); code != 0 {
			t.Fatalf("tokenize: exit %d: %s", code, errb.String())
		}
		lines[i] = strings.TrimSpace(out.String())
	}
	if lines[0] != lines[1] {
		t.Errorf("tokenize: invalid UTF-8 gives\n%s\nthe tokenizer's rule (U+FFFD per maximal subpart) gives\n%s", lines[0], lines[1])
	}
}

// The bad-input cases must be distinct and each name a single input.
func TestHostileCasesDistinct(t *testing.T) {
	var names []string
	for _, c := range hostileCases() {
		names = append(names, c.input)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Error("duplicate case names")
	}
}

// useArch replaces the case's model with a tiny arch fixture (its config
// and weights; the tokenizer stays).
func useArch(t *testing.T, e *hostileEnv, arch string) {
	t.Helper()
	for _, name := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(fixture.Arch(arch), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(e.model, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
