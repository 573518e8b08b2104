"""Writes tokenizers/components.json: what the Hugging Face tokenizers
library's pre-tokenizers and normalizers make of a set of texts, one
component at a time (tokenizer.TestComponentsOracle compares Load's
components with it).

Usage: python python/goldens/tokenizer_components.py --out ROOT

NEEDS_OVERLAY: run with tokenizers 0.23.3 (python/requirements-overlay.txt),
whose version the file records; 0.22.2 gives the same components.
"""
import argparse
import json
import os
import random

import tokenizers
from tokenizers import Tokenizer

TEXTS = [
    " ", "  ", "\n", "\r\n", "a", "Hello", " Hello", "  Hello  world", "Hello world! Hello, World.",
    "it's IT'S don't we'll I'd they're you've I'M 'ſ", "1234567890 12 345", "x1y22z333 ①②③ ² ½ Ⅻ ٣٤٥",
    "café cafe\u0301 naïve", "ﬁne ＡＢＣ ｶﾀｶﾅ ㋿", "日本語のテキスト 中文文本，还有 한국어", "हिन्दी पाठ ภาษาไทย",
    "👍🏽 👨\u200d👩\u200d👧\u200d👦 🇫🇷 ❤️", "$%^&*()[]{}<>/\\|~`@#", "a\tb\t\tc line1\nline2\n\nline3 win\r\nline\r\n",
    "   \n\n   x", "x \u00a0 y\u2003z\u3000w \u200bzero\ufeffbom", "\u0301 leading a\u0300\u0301", "İstanbul ǅ ß ẞ",
    "\ufffd rep", "aaaa aaa aa a ababab banana", "▁meta Hello\u2581world ĠHello", "x\u1c89 \U000105c0 \U00010d40\u0897",
    "trailing   ", "def f(x): return x**2  # hi",
]
POOL = ["a", "b", "ab", "Hello", "é", "e\u0301", "日", "한", "ि", "👍", "\u200d", "1", "23", "٣", "½", " ", "  ", "\t",
        "\n", "\r\n", "\u00a0", "'s", "'S", "!", ".", "$", "/", "▁", "Ġ", "ß", "ſ", "\u0300", "x"]
rnd = random.Random(1)
TEXTS += ["".join(rnd.choice(POOL) for _ in range(rnd.randint(1, 12))) for _ in range(10)]


def component(kind, j):
    body = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": None,
            "post_processor": None, "decoder": None, "model": {"type": "BPE", "vocab": {}, "merges": []}}
    body[kind] = j
    t = Tokenizer.from_str(json.dumps(body))
    return t.normalizer if kind == "normalizer" else t.pre_tokenizer


recs = []


def add(kind, j):
    try:
        c = component(kind, j)
    except Exception:  # the library refuses the file: nothing to compare
        return
    out = []
    for t in TEXTS:
        if kind == "normalizer":
            out.append([c.normalize_str(t)])
        else:
            out.append([s for s, _ in c.pre_tokenize_str(t)])
    recs.append({"kind": kind, "json": json.dumps(j, ensure_ascii=False), "out": out})


def split(pat, beh, inv=False, regex=True):
    return {"type": "Split", "pattern": {"Regex" if regex else "String": pat}, "behavior": beh, "invert": inv}


for beh in ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"):
    for inv in (False, True):
        for pat, rx in ((r"\s*", 1), (r"(?=a)", 1), (r"x*", 1), (r"\b", 1), (r"(?<=l)", 1), (r"$", 1), (r"^", 1),
                        (r"\s+", 1), (" ", 0), ("ab", 0), (r"\p{P}", 1), (r"\w+", 1), (r"\d", 1), (r"'s|\s+(?!\S)|\s", 1)):
            add("pre_tokenizer", split(pat, beh, inv, bool(rx)))
for aps in (False, True):
    for ur in (False, True):
        add("pre_tokenizer", {"type": "ByteLevel", "add_prefix_space": aps, "trim_offsets": True, "use_regex": ur})
for ps in ("first", "always", "never"):
    for sp in (True, False):
        ms = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": ps, "split": sp}
        add("pre_tokenizer", ms)
        add("pre_tokenizer", {"type": "Sequence", "pretokenizers": [split(r"\d+|\s+", "Isolated"), ms]})
for ind in (True, False):
    add("pre_tokenizer", {"type": "Digits", "individual_digits": ind})
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
add("pre_tokenizer", {"type": "Sequence", "pretokenizers": [split(LLAMA3, "Isolated"),
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]})
for n in ({"type": "NFC"}, {"type": "NFD"}, {"type": "NFKC"}, {"type": "NFKD"},
          {"type": "Strip", "strip_left": True, "strip_right": True}, {"type": "Prepend", "prepend": "▁"},
          {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
          {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
          {"type": "Replace", "pattern": {"Regex": r"x*"}, "content": "Z"},
          {"type": "Replace", "pattern": {"Regex": r"^"}, "content": "Z"},
          {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": True, "strip_right": False},
                                               {"type": "Prepend", "prepend": "▁"}]}):
    add("normalizer", n)

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
path = os.path.join(ap.parse_args().out, "tokenizers", "components.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w", encoding="utf-8") as fh:
    json.dump({"tokenizers": tokenizers.__version__, "texts": TEXTS, "components": recs}, fh, ensure_ascii=False, indent=0)
print(len(recs), "components,", len(TEXTS), "texts")
