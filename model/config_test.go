package model

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestConfigLayoutsAgree checks that the older published config.json layout and
// the one transformers 5 writes normalize to the same configuration.
func TestConfigLayoutsAgree(t *testing.T) {
	for _, arch := range allArchs {
		t.Run(arch, func(t *testing.T) {
			dir := archDir(t, arch)
			read := func(name string) *Config {
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				c, err := ParseConfig(data)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				c.SHA256, c.raw = "", nil
				return c
			}
			old, v5 := read("config.json"), read("config.transformers5.json")
			if !reflect.DeepEqual(old, v5) {
				t.Errorf("layouts differ:\nold %+v\nv5  %+v", old, v5)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	base := `"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100`
	cases := []struct{ name, json, want string }{
		{"not json", `{`, "invalid JSON"},
		{"unsupported", `{"model_type": "bert", ` + base + `}`, "unsupported architecture: model_type \"bert\"; supported: " + strings.Join(SupportedArchitectures(), ", ")},
		{"no model_type", `{` + base + `}`, "config without model_type"},
		{"bad rope", `{"model_type": "llama", ` + base + `, "rope_scaling": {"rope_type": "yarn2", "factor": 2}}`, `unsupported rope type "yarn2"`},
		{"gqa", `{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 128, "vocab_size": 100}`, "not a multiple"},
		{"zero layers", `{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 0, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100}`, "num_hidden_layers must be a positive integer"},
		{"wrong type", `{"model_type": "llama", ` + base + `, "rope_theta": "big"}`, "rope_theta: expected a number"},
		{"llama3 incomplete", `{"model_type": "llama", ` + base + `, "rope_scaling": {"rope_type": "llama3", "factor": 8}}`, "llama3 needs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}
