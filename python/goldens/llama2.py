"""Golden recipe: testdata/archs/llama2/ (MHA, f16).

Run: python python/goldens/llama2.py --out ROOT (writes ROOT/archs/llama2/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "LlamaForCausalLM"
    ],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "model_type": "llama",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
    "use_cache": True,
    "vocab_size": 384
}

# The seed gives a reference vote with no exact tie in any head: the CLI
# golden test (cmd/qfilters) compares signed filters on this fixture.
if __name__ == "__main__":
    _arch.main("llama2", CONFIG, seed=2000, n_seq=3, seq_len=24)
