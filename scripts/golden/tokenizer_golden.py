#!/usr/bin/env python3
"""Cross-check of @samp/tokenizer's goldens with Python: transformers' BertTokenizer (v5, tokenizers-backed;
BertTokenizerFast on v4) over packages/tokenizer/test/fixtures/cases.jsonl, for both official vocabularies
with and without lowercasing. Writes golden-<vocab>-<lower|cased>.jsonl in the format of
packages/tokenizer/scripts/make-goldens.mjs (offsets converted from code points to UTF-16 code units), so the
two can be diffed:

    python scripts/golden/tokenizer_golden.py --out /tmp/py-goldens
    for f in /tmp/py-goldens/*.jsonl; do diff <(jq -c 'del(.tokens)' $f) \
        <(jq -c 'del(.tokens)' packages/tokenizer/test/fixtures/$(basename $f)); done

Main fields: truncation applied to fully tokenized texts (tokenizers' `post_process`, the <=0.22 behaviour).
`early_exit`: a plain `encode` call with truncation enabled (what the installed tokenizers does; 0.23.x stops
tokenizing at max_length, huggingface/tokenizers#1990/#2091). Cases Python cannot encode (lone surrogates)
are written as {"id", "skipped": reason}.
"""
import argparse
import json
import os
import sys

import tokenizers
from tokenizers import Tokenizer

try:
    from transformers import BertTokenizerFast as HFBert  # v4 name; an alias of BertTokenizer in v5
except ImportError:  # pragma: no cover
    from transformers import BertTokenizer as HFBert

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "packages", "tokenizer", "test", "fixtures")
STRATEGY = {"longest_first": "longest_first", "only_first": "only_first", "only_second": "only_second"}


def cp_to_utf16(s):
    """UTF-16 index of each code-point index of s (plus the end)."""
    out, i = [], 0
    for ch in s:
        out.append(i)
        i += 2 if ord(ch) > 0xFFFF else 1
    out.append(i)
    return out


def record(c, enc, fix_pair_types=False):
    maps = [cp_to_utf16(c["text"]), cp_to_utf16(c["text_pair"]) if "text_pair" in c else None]

    def conv(e):
        seq = e.sequence_ids
        types = list(e.type_ids)
        if fix_pair_types:
            types = [1 if seq[k] == 1 else t for k, t in enumerate(types)]
        offsets = []
        for k, (s, t) in enumerate(e.offsets):
            m = maps[seq[k]] if seq[k] is not None else None
            offsets.append([s, t] if m is None else [m[s], m[t]])
        return {"input_ids": list(e.ids), "token_type_ids": types, "tokens": list(e.tokens), "offsets": offsets}

    rec = conv(enc)
    if c.get("return_overflowing"):
        rec["overflowing"] = [conv(o) for o in enc.overflowing]
    return rec


def set_truncation(tok, c):
    if "max_length" not in c:
        tok.no_truncation()
        return
    tok.enable_truncation(
        c["max_length"],
        stride=c.get("stride", 0),
        strategy=STRATEGY[c.get("truncation", "longest_first")],
        direction=c.get("truncation_side", "right"),
    )


def has_lone_surrogate(s):
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)


def golden(tok, c):
    if has_lone_surrogate(c["text"]) or has_lone_surrogate(c.get("text_pair", "")):
        return {"id": c["id"], "skipped": "Python strings with lone surrogates cannot be encoded to UTF-8"}
    tok.no_truncation()
    try:
        a = tok.encode(c["text"], add_special_tokens=False)
        b = tok.encode(c["text_pair"], add_special_tokens=False) if "text_pair" in c else None
        set_truncation(tok, c)
        main = record(c, tok.post_process(a, b, add_special_tokens=True), fix_pair_types=True)
    except Exception as e:  # noqa: BLE001 - the reference's error is part of the golden record
        main = {"error": str(e)}
    rec = {"id": c["id"], **main}
    if "max_length" in c:
        set_truncation(tok, c)
        try:
            enc = tok.encode(c["text"], c["text_pair"]) if "text_pair" in c else tok.encode(c["text"])
            rec["early_exit"] = record(c, enc)
        except Exception as e:  # noqa: BLE001
            rec["early_exit"] = {"error": str(e)}
        tok.no_truncation()
    return rec


def load_bert_tokenizer(vocab_file, lower):
    """BertTokenizer from a model folder: the one loading path every transformers version honours (v5 ignores
    a `vocab_file` keyword passed to the constructor and builds an empty vocabulary)."""
    import shutil
    import tempfile
    folder = tempfile.mkdtemp(prefix="samp-tok-")
    shutil.copy(vocab_file, os.path.join(folder, "vocab.txt"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": lower, "tokenize_chinese_chars": True,
                   "strip_accents": None}, f)
    hf = HFBert.from_pretrained(folder)
    expected = sum(1 for _ in open(vocab_file, encoding="utf-8"))
    assert len(hf) == expected, f"{vocab_file}: the tokenizer has {len(hf)} tokens, expected {expected}"
    return hf


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(FIXTURES, "python"))
    ap.add_argument("--vocab-dir", default=os.path.join(FIXTURES, "vocab"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(FIXTURES, "cases.jsonl"), encoding="utf-8") as f:
        cases = [json.loads(l) for l in f if l.strip()]
    for name, file in (("uncased", "bert-base-uncased-vocab.txt"), ("chinese", "bert-base-chinese-vocab.txt")):
        for lower in (True, False):
            hf = load_bert_tokenizer(os.path.join(args.vocab_dir, file), lower)
            # The Rust tokenizer exactly as transformers configured it (normalizer, added tokens, template).
            tok = Tokenizer.from_str(hf.backend_tokenizer.to_str())
            tok.no_padding()
            out = os.path.join(args.out, f"golden-{name}-{'lower' if lower else 'cased'}.jsonl")
            tmp = out + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                for c in cases:
                    f.write(json.dumps(golden(tok, c), ensure_ascii=False) + "\n")
            os.replace(tmp, out)
            print(f"wrote {out} (tokenizers {tokenizers.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
