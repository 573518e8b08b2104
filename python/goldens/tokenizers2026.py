"""Tokenizers of the 2026 families: structural stand-ins and their goldens.

The published tokenizer files of gpt-oss (o200k_harmony), Qwen 3.5,
Llama 4, Ministral 3 (tekken), Gemma 4, Cohere 2, OLMo 3 and Granite are
not ours to carry
(and not reachable here), so this recipe builds, with the `tokenizers`
library, files with the same pipeline as each published tokenizer.json
(normalizer, pre-tokenizer with the family's exact split regex, model
options, decoder, post-processor, added and chat tokens) over a small BPE
vocabulary trained on CORPUS below, and records what the `tokenizers`
library and transformers' AutoTokenizer give for TEXTS.

Usage: python python/goldens/tokenizers2026.py --out ROOT
Writes, for each family F in FAMILIES:
  ROOT/tokenizers/F/tokenizer.json, ROOT/tokenizers/F/tokenizer_config.json
  ROOT/tokenizers/F.json       [{text, ids, ids_with_special, decoded}]
      (tokenizers.Tokenizer.from_file: encode(text, add_special_tokens=...))
  ROOT/tokenizers/F.auto.json  {"auto_tokenizer_input_ids": [...]}
      (transformers.AutoTokenizer.from_pretrained(dir)(text)["input_ids"])
Deterministic: the trainer sees the same corpus in the same order.
Self-contained: imports tokenizers, transformers and the stdlib only.
"""
import argparse
import json
import os
import random

import transformers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

# The split regexes, exactly as the published tokenizer.json files have them.
# o200k (tiktoken's o200k_base pat_str; gpt-oss's o200k_harmony, Llama 4).
O200K = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# Qwen 3.5 / Qwen3-Next (transformers' tokenization_qwen3_5.py): Qwen 2's
# pattern with \p{M} joined to letters and kept out of symbols.
QWEN35 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}"
          r"| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# Mistral's tekken (Ministral 3): o200k's case-aware words, no contractions,
# single digits.
TEKKEN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
          r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
          r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CORPUS = [
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
    "I'm sure they're here; we've seen it, you'll see, he'd know, it's done. DON'T SHOUT, I'LL GO.",
    "CamelCaseWords and snake_case_words and HTTPServer, XMLHttpRequest, iPhone, McDonald.",
    "Numbers: 1 12 123 1234 12345 3.14159 2026-12-07 10,000,000 0x1F",
    "def main():\n    return [x**2 for x in range(10)]\n\n\nif __name__ == '__main__':\n\tmain()",
    "我想在苹果公司工作。今天天气很好！日本語のテキストも少し。한국어 문장입니다.",
    "Émilie à l'école, naïve café, Straße, ΑΘΗΝΑ αθήνα, Москва москва.",
    "Emoji: 🚀 😶‍🌫️ ✅ 🦙🦙 👍🏽 and symbols ©®™ — “quotes” ‘single’ … <tags> </end> a/b/c",
    "Hindi: नमस्ते दुनिया, Thai: สวัสดีครับ, Arabic: مرحبا بالعالم",
    "   leading spaces, trailing spaces   \n\n\n  multiple\r\nlines\t\ttabs",
    "https://example.com/path/to/file.html?query=1&other=2 user@example.org",
]

TEXTS = [
    "Hello world",
    " Hello world",
    "Hello  world   with   spaces",
    "I'm sure they're here; we've seen it, you'll see, he'd know. DON'T SHOUT, I'LL GO, WE'VE",
    "HTTPServer XMLHttpRequest iPhone McDonald's CamelCase snake_case ALLCAPS'S",
    "1 12 123 1234 12345 123456 3.14159 2026-12-07",
    "我想在苹果公司工作。日本語のテキスト。한국어 문장",
    "Émilie naïve café e\u0301cole Straße ΑΘΗΝΑ Москва",
    "नमस्ते दुनिया สวัสดีครับ مرحبا",
    "🚀 😶‍🌫️ ✅ 🦙🦙 👍🏽 ©®™ — “quotes” …",
    "a/b/c path/to/file.html https://example.com/x?y=1",
    "line one\nline two\r\n\r\nline three\n\n\n",
    "   \t\t  mixed\u00a0\u3000whitespace   ",
    "def f(x):\n    return x**2\n\n\tpass",
    "'s 'S 'ſ 're 'RE x'Ll",
    "e\u0301\u0301 a\u0308 \u0915\u093f",
    "",
]

# o200k_harmony's named tokens and their ids; the ids between are
# <|reserved_N|> tokens. The real file's ordinary vocabulary ends at 199997;
# the stand-in keeps this layout right after its own small vocabulary.
GPT_OSS_NAMED = {199998: "<|startoftext|>", 199999: "<|endoftext|>", 200002: "<|return|>",
                 200003: "<|constrain|>", 200005: "<|channel|>", 200006: "<|start|>",
                 200007: "<|end|>", 200008: "<|message|>", 200012: "<|call|>",
                 200018: "<|endofprompt|>"}
GPT_OSS_SPECIALS = [(GPT_OSS_NAMED.get(i, f"<|reserved_{i}|>"), None) for i in range(199998, 200019)]


# Characters of every class the split regexes tell apart: upper, lower,
# title-case (Lt), modifier (Lm) and other (Lo) letters, marks (Mn, Mc),
# numbers (Nd, Nl, No), apostrophes, symbols, and white space of each kind.
POOL = ("AZÉΣЖ" "azéσж" "\u01c5\u1f88" "\u02b0\u3005" "あ中한" "\u0301\u0308\u0903"
        "09٣" "\u216b" "½²" "'''" "sStTdDmMlLrReEvV" ".,!?/-_()\"#@" "€😀" "    \t\n\r\u00a0\u3000")


def random_texts(n, length, seed=2026):
    """Pseudo-random texts over POOL (the same every run)."""
    rng = random.Random(seed)
    return ["".join(rng.choice(POOL) for _ in range(length)) for _ in range(n)]


def special_texts(tokens):
    """Texts that write the family's chat tokens inline."""
    a, b, c = tokens[:3]
    return [f"{a}user{b}Hi there!{c}", f"x{a} y {b}\n{c}{c}z", f"<{a}>{a[:-1]} {b}"]


def bytelevel_file(regex, vocab_size, specials, post, normalizer=None):
    """A byte-level BPE tokenizer.json: Split(regex) + ByteLevel, trained on CORPUS."""
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=1, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    data = json.loads(tok.to_str())
    n = len(data["model"]["vocab"])
    added = []
    for content, tid in specials:
        added.append({"id": tid if tid is not None else n + len(added), "content": content,
                      "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True})
    data["added_tokens"] = added
    data["post_processor"] = post(added)
    data["model"]["ignore_merges"] = False
    return data


def gpt_oss():
    # gpt-oss's tokenizer.json: no normalizer, Split(o200k) + ByteLevel,
    # ByteLevel post-processor and decoder; the harmony tokens (with the
    # reserved ones between them) right after the ordinary vocabulary.
    data = bytelevel_file(O200K, 700, GPT_OSS_SPECIALS,
                          lambda _: {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                                     "use_regex": False})
    data["model"]["ignore_merges"] = True
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|startoftext|>",
           "eos_token": "<|return|>", "pad_token": "<|endoftext|>", "model_max_length": 131072}
    return data, cfg, ["<|start|>", "<|message|>", "<|end|>", "<|channel|>", "<|return|>"]


def llama4():
    # Llama 4: the o200k pattern, BOS <|begin_of_text|> by TemplateProcessing.
    specials = [("<|begin_of_text|>", None), ("<|end_of_text|>", None), ("<|header_start|>", None),
                ("<|header_end|>", None), ("<|eot|>", None)]

    def post(added):
        bos = added[0]
        return {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": bos["content"], "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": bos["content"], "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": bos["content"], "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {bos["content"]: {"id": bos["content"], "ids": [bos["id"]],
                                                    "tokens": [bos["content"]]}}}
    data = bytelevel_file(O200K, 650, specials, post)
    data["model"]["ignore_merges"] = True
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>",
           "eos_token": "<|eot|>", "model_max_length": 10485760}
    return data, cfg, ["<|header_start|>", "<|header_end|>", "<|eot|>"]


def qwen35():
    # Qwen 3.5 / Qwen3-Next: NFC, Split(QWEN35) + ByteLevel, no post-processor
    # effect (ByteLevel), chat tokens special, <think> not.
    specials = [("<|endoftext|>", None), ("<|im_start|>", None), ("<|im_end|>", None)]
    data = bytelevel_file(QWEN35, 600, specials,
                          lambda _: {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                                     "use_regex": False},
                          normalizer=normalizers.NFC())
    n = max(a["id"] for a in data["added_tokens"]) + 1
    for i, t in enumerate(["<think>", "</think>"]):
        data["added_tokens"].append({"id": n + i, "content": t, "single_word": False, "lstrip": False,
                                     "rstrip": False, "normalized": False, "special": False})
    cfg = {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
           "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 262144}
    return data, cfg, ["<|im_start|>", "<|im_end|>", "<think>"]


def tekken():
    # Ministral 3 / Mistral's tekken in tokenizer.json form: Split(TEKKEN) +
    # ByteLevel, BOS <s> by TemplateProcessing, [INST] control tokens.
    specials = [("<unk>", None), ("<s>", None), ("</s>", None), ("[INST]", None), ("[/INST]", None)]

    def post(added):
        bos = added[1]
        return {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [bos["id"]], "tokens": ["<s>"]}}}
    data = bytelevel_file(TEKKEN, 600, specials, post)
    data["model"]["ignore_merges"] = True
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
           "unk_token": "<unk>", "model_max_length": 262144}
    return data, cfg, ["[INST]", "[/INST]", "</s>"]


def gemma4():
    # Gemma 4 (as Gemma 3): SentencePiece-style BPE: the normalizer writes
    # spaces as "▁", no pre-tokenizer (merges run over the whole text), byte
    # fallback to <0xXX>, <bos> by TemplateProcessing, chat turn tokens.
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    trainer = trainers.BpeTrainer(vocab_size=500, min_frequency=1, show_progress=False)
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    trained = json.loads(tok.to_str())
    head = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>",
            "<start_of_image>", "<end_of_image>"]
    vocab = {t: i for i, t in enumerate(head)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for t, _ in sorted(trained["model"]["vocab"].items(), key=lambda kv: kv[1]):
        if t not in vocab:
            vocab[t] = len(vocab)
    for t in ["\n\n", "▁▁", "▁▁▁▁"]:  # whitespace tokens Gemma's vocabulary has
        vocab.setdefault(t, len(vocab))
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in head]
    data = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<bos>", "type_id": 1}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": trained["model"]["merges"]},
    }
    cfg = {"tokenizer_class": "GemmaTokenizer", "bos_token": "<bos>", "eos_token": "<eos>",
           "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>", "add_bos_token": True,
           "add_eos_token": False, "model_max_length": 131072}
    return data, cfg, ["<start_of_turn>", "<end_of_turn>", "<bos>"]


def cohere2():
    # Cohere 2 (Command R7B, Command A) as Command R: NFC, Digits (one by
    # one) then ByteLevel with GPT-2's regex, <BOS_TOKEN> by template, the
    # special tokens first, the turn tokens after the vocabulary.
    head = ["<PAD>", "<UNK>", "<CLS>", "<SEP>", "<MASK_TOKEN>", "<BOS_TOKEN>"]
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=600, min_frequency=1, show_progress=False, special_tokens=head,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    data = json.loads(tok.to_str())
    n = len(data["model"]["vocab"])
    for i, t in enumerate(["<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>", "<|USER_TOKEN|>",
                           "<|CHATBOT_TOKEN|>", "<|SYSTEM_TOKEN|>"]):
        data["added_tokens"].append({"id": n + i, "content": t, "single_word": False, "lstrip": False,
                                     "rstrip": False, "normalized": False, "special": True})
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<BOS_TOKEN>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<BOS_TOKEN>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<BOS_TOKEN>": {"id": "<BOS_TOKEN>", "ids": [5], "tokens": ["<BOS_TOKEN>"]}}}
    cfg = {"tokenizer_class": "CohereTokenizer", "bos_token": "<BOS_TOKEN>", "eos_token": "<|END_OF_TURN_TOKEN|>",
           "pad_token": "<PAD>", "unk_token": "<UNK>", "add_bos_token": True, "add_eos_token": False,
           "model_max_length": 131072}
    return data, cfg, ["<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>", "<|END_OF_TURN_TOKEN|>"]


LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
          r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def olmo3():
    # OLMo 2 / 3 (dolma2, cl100k-based): Split(cl100k = Llama 3's regex) +
    # ByteLevel, no BOS; tokenizer_config names GPT2Tokenizer, which
    # transformers 5.x rebuilds with GPT-2's own regex.
    specials = [("<|endoftext|>", None), ("<|pad|>", None), ("<|im_start|>", None), ("<|im_end|>", None)]
    data = bytelevel_file(LLAMA3, 600, specials,
                          lambda _: {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                                     "use_regex": False})
    cfg = {"tokenizer_class": "GPT2Tokenizer", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
           "pad_token": "<|pad|>", "unk_token": "<|endoftext|>", "model_max_length": 65536}
    return data, cfg, ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]


def granite():
    # Granite 3.x (StarCoder's tokenizer): Digits (one by one) + ByteLevel with
    # GPT-2's regex, no BOS; tokenizer_config names GPT2Tokenizer.
    specials = ["<|end_of_text|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>",
                "<|start_of_role|>", "<|end_of_role|>", "<|tool_call|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=600, min_frequency=1, show_progress=False, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    data = json.loads(tok.to_str())
    data["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                              "use_regex": False}
    cfg = {"tokenizer_class": "GPT2Tokenizer", "bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>",
           "pad_token": "<|end_of_text|>", "unk_token": "<|end_of_text|>", "add_bos_token": False,
           "model_max_length": 131072}
    return data, cfg, ["<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>"]


FAMILIES = {"gpt_oss": gpt_oss, "qwen3_5": qwen35, "llama4": llama4, "tekken": tekken, "gemma4": gemma4,
            "cohere2": cohere2, "olmo3": olmo3, "granite": granite}


def write_json(path, obj, indent=None):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    out = ap.parse_args().out
    base = os.path.join(out, "tokenizers")
    for fam, build in FAMILIES.items():
        data, cfg, chat = build()
        d = os.path.join(base, fam)
        os.makedirs(d, exist_ok=True)
        write_json(os.path.join(d, "tokenizer.json"), data)
        write_json(os.path.join(d, "tokenizer_config.json"), cfg, indent=1)
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        auto = transformers.AutoTokenizer.from_pretrained(d)
        cases, auto_ids = [], []
        for text in TEXTS + random_texts(8, 120) + special_texts(chat):
            ids = tok.encode(text, add_special_tokens=False).ids
            cases.append({"text": text, "ids": ids,
                          "ids_with_special": tok.encode(text, add_special_tokens=True).ids,
                          "decoded": tok.decode(ids, skip_special_tokens=False)})
            auto_ids.append(auto(text)["input_ids"])
        write_json(os.path.join(base, fam + ".json"), cases, indent=1)
        write_json(os.path.join(base, fam + ".auto.json"), {"auto_tokenizer_input_ids": auto_ids})
        differ = sum(a != c["ids_with_special"] for a, c in zip(auto_ids, cases))
        print(f"{fam}: {len(data['model']['vocab'])} tokens, {len(cases)} texts, "
              f"AutoTokenizer ({type(auto).__name__}) differs from tokenizer.json on {differ}")


if __name__ == "__main__":
    main()
