"""Golden recipe: testdata/tokenizers/*.json (what Hugging Face tokenizers gives).

Run: python python/goldens/tokenizer_ids.py --out ROOT (writes ROOT/tokenizers/).

- <family>.json, for the third-party tokenizers in ../shared/tokenizers/<family>/
  (Llama 2, Llama 3, Llama 3.3, Mistral, Qwen 3, DeepSeek-V3; not carried in the
  repository: their licences are their own): for each text of TEXTS, `ids`
  (tokenizers' encode without special tokens), `ids_with_special` (with them),
  `offsets`, and `decoded` (decode of `ids`, special tokens kept).
- <family>.auto.json: transformers' AutoTokenizer(text)["input_ids"] for the
  first 5 texts.
- stories260K.json: the first 16 documents of the embedded corpus
  (assets/tinystories-sampled/train.jsonl) and their ids under the embedded
  stories260K tokenizer (assets/stories260K), special tokens included.

A family whose files are absent is skipped with a line starting "needs
third-party file" (as the Go tests skip).
"""

import argparse
import json
import os

import transformers
from tokenizers import Tokenizer
from transformers import AutoTokenizer

transformers.utils.logging.set_verbosity_error()

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHARED = os.path.join(REPO, "..", "shared", "tokenizers")
FAMILIES = ["llama2", "llama3", "llama3_3", "mistral", "qwen3", "deepseek_v3"]

# The texts of every family's file (ASCII, spacing, numbers, code, scripts,
# emoji, special-token strings inside text, ...).
TEXTS = [
    'Hello world',
    ' Hello world',
    'Hello  world   with   spaces',
    'Once upon a time, there was a little girl named Lily. She loved to play outside.',
    'The quick brown fox jumps over the lazy dog 1234567890 times.',
    'Numbers: 3.14159, 2,718; 1e-10 and 123456789012345.',
    '  leading and trailing spaces  ',
    'tabs\tand\nnewlines\n\n\nand\r\nCRLF',
    'emoji 😀🎉👩\u200d👩\u200d👧\u200d👦 and symbols ©®™ ∑∫√',
    '日本語のテキスト、中文文本，한국어 텍스트',
    'Ünïcödé àccénts — “quotes” and ‘single’ … ellipsis',
    'def f(x):\n    return x**2  # comment\n',
    '<|begin_of_text|>special tokens inside text<|end_of_text|>',
    '<s>[INST] hello [/INST]</s>',
    "I'm you're he'll we've they'd IT'S DON'T",
    'https://example.com/path?query=1&b=2#frag',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '    indented code block\n        more',
    'Mixed123abc456DEF',
    'ℌ𝔢𝔩𝔩𝔬 𝕎𝕠𝕣𝕝𝕕 — mathematical alphanumerics',
    '\xa0non-breaking\u2009thin\u200bzero-width',
    'Ελληνικά, Русский текст, עברית, العربية',
    '',
    ' ',
    '\n',
]


def _write(path, obj):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False)


def family(name, out):
    d = os.path.join(SHARED, name)
    if not os.path.exists(os.path.join(d, "tokenizer.json")):
        print(f"needs third-party file ../shared/tokenizers/{name}/tokenizer.json: tokenizers/{name}.json and "
              f"tokenizers/{name}.auto.json not regenerated")
        return
    tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    cases = []
    for text in TEXTS:
        plain = tok.encode(text, add_special_tokens=False)
        cases.append({"text": text, "ids": plain.ids, "ids_with_special": tok.encode(text).ids,
                      "offsets": [list(o) for o in plain.offsets],
                      "decoded": tok.decode(plain.ids, skip_special_tokens=False)})
    _write(os.path.join(out, f"{name}.json"), cases)
    auto = AutoTokenizer.from_pretrained(d)
    _write(os.path.join(out, f"{name}.auto.json"),
           {"auto_tokenizer_input_ids": [auto(t)["input_ids"] for t in TEXTS[:5]]})
    print(f"tokenizers/{name}.json: {len(cases)} texts")


def stories(out):
    tok = Tokenizer.from_file(os.path.join(REPO, "assets", "stories260K", "tokenizer.json"))
    with open(os.path.join(REPO, "assets", "tinystories-sampled", "train.jsonl"), encoding="utf-8") as fh:
        docs = [json.loads(line)["text"] for line in fh][:16]
    with open(os.path.join(out, "stories260K.json"), "w", encoding="utf-8") as fh:
        json.dump([{"text": t, "ids": tok.encode(t).ids} for t in docs], fh)
    print(f"tokenizers/stories260K.json: {len(docs)} texts")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    out = os.path.join(p.parse_args().out, "tokenizers")
    os.makedirs(out, exist_ok=True)
    for name in FAMILIES:
        family(name, out)
    stories(out)


if __name__ == "__main__":
    main()
