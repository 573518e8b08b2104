"""Golden recipe: testdata/archs/phi4mini_partial/ (partial rotary 0.75).

Run: python python/goldens/phi4mini_partial.py --out ROOT (writes ROOT/archs/phi4mini_partial/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Phi3ForCausalLM"
    ],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 128,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 4096,
    "model_type": "phi3",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "original_max_position_embeddings": 4096,
    "pad_token_id": 0,
    "partial_rotary_factor": 0.75,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 384
}

# The seed gives a reference vote with no exact tie in any head: the CLI
# golden test (cmd/qfilters) compares signed filters on this fixture.
if __name__ == "__main__":
    _arch.main("phi4mini_partial", CONFIG, seed=3000, n_seq=3, seq_len=24)
