"""Creates the golden model fixtures in packages/core/fixtures/models/ with Hugging Face transformers.

Run on the GPU machine (it has torch and transformers; no GPU is needed):
    python3 scripts/golden/make_model_fixtures.py packages/core/fixtures/models

For each architecture samp supports it builds a tiny random model, gives its weights a spread that
makes LayerNorm, GELU and softmax matter (the default 0.02 init hides bugs), saves it with
save_pretrained in one of the formats samp must read (safetensors, sharded, fp16, pytorch_model.bin),
then runs it in float64 on a padded batch with token types and saves the inputs and every hidden state
and the logits as the expected outputs. Deterministic: the same seed gives the same files.
"""

import json
import math
import os
import shutil
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import (
    AlbertConfig,
    AlbertForSequenceClassification,
    BertConfig,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    BertTokenizerFast,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    ElectraConfig,
    ElectraForSequenceClassification,
    RobertaConfig,
    RobertaForSequenceClassification,
    XLMRobertaConfig,
    XLMRobertaModel,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = (
    "the a an and or but not no is are was were be been it this that these those i you he she we they "
    "my your his her our their of in on at to from by with for about as into over under after before "
    "good bad great terrible movie film story actor plot music fun funny boring love hate like best worst "
    "very too so just really quite more most less one two three new old time day year people world city "
    "news game team match win lost stock market price company bank money phone car house school food "
    "what when where who why how all some any each every can will would should could do does did have has "
    "had make made see saw go went come came get got know think say said look want give use find tell"
).split()
CHINESE = list("的一是不了在人有我他这个们中来上大为和国地到以说时要就出也得里后自会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感")


def fixture_vocab():
    chars = [chr(c) for c in range(33, 127) if not chr(c).isupper()]
    pieces = ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    vocab = SPECIALS + chars + pieces + WORDS + CHINESE
    seen = set()
    out = []
    for token in vocab:
        if token not in seen:
            seen.add(token)
            out.append(token)
    return out


def spread_weights(model, seed):
    """Re-initialises every parameter with a spread that exercises the non-linearities."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                if "LayerNorm" in name or "layer_norm" in name or "norm" in name.lower():
                    if name.endswith("weight"):
                        p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
                    else:
                        p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
                else:
                    p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
            elif "embeddings" in name and p.dim() == 2 and "project" not in name and "mapping" not in name:
                p.copy_(torch.randn(p.shape, generator=gen))
            else:
                fan_in = p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=gen) * (1.5 / math.sqrt(fan_in)))


def make_inputs(vocab_size, pad_id, with_types, seed, batch=3, seq=12, lengths=(12, 7, 4), low=5):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(low, vocab_size, (batch, seq), generator=gen)
    mask = torch.zeros(batch, seq, dtype=torch.long)
    types = torch.zeros(batch, seq, dtype=torch.long)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
        ids[row, n:] = pad_id
        if with_types:
            split = max(1, n // 2)
            types[row, split:n] = 1
    return ids, mask, (types if with_types else None)


SPECS = [
    # name, config class, model class, config kwargs, weights format, labels
    ("bert", BertConfig, BertModel, {}, "safetensors", None),
    ("bert-seq-cls", BertConfig, BertForSequenceClassification, {}, "safetensors", ["negative", "neutral", "positive"]),
    ("bert-token-cls", BertConfig, BertForTokenClassification, {}, "safetensors", ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]),
    ("bert-gelu-new", BertConfig, BertModel, {"hidden_act": "gelu_new"}, "pytorch_bin", None),
    ("roberta-seq-cls", RobertaConfig, RobertaForSequenceClassification, {"type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}, "safetensors", ["LABEL_0", "LABEL_1"]),
    ("xlm-roberta", XLMRobertaConfig, XLMRobertaModel, {"type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}, "sharded", None),
    ("electra-seq-cls", ElectraConfig, ElectraForSequenceClassification, {"embedding_size": 16}, "safetensors", ["no", "yes"]),
    ("distilbert-seq-cls", DistilBertConfig, DistilBertForSequenceClassification, {}, "fp16", ["negative", "positive"]),
    ("albert-seq-cls", AlbertConfig, AlbertForSequenceClassification, {"embedding_size": 16, "num_hidden_groups": 1, "inner_group_num": 1, "hidden_act": "gelu_new"}, "safetensors", ["a", "b", "c", "d"]),
]


def base_kwargs(config_cls, vocab_size):
    if config_cls is DistilBertConfig:
        return dict(vocab_size=vocab_size, dim=32, n_heads=4, n_layers=2, hidden_dim=64, max_position_embeddings=64, activation="gelu", pad_token_id=0)
    return dict(vocab_size=vocab_size, hidden_size=32, num_attention_heads=4, num_hidden_layers=2 if config_cls is not AlbertConfig else 3,
                intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0)


def save_tokenizer(out_dir, vocab, keep_vocab_txt):
    vocab_file = os.path.join(out_dir, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "unk_token": "[UNK]", "sep_token": "[SEP]",
                   "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]", "tokenize_chinese_chars": True,
                   "strip_accents": None, "model_max_length": 64}, f, indent=2)
    # Loading from the folder is the path every version of transformers supports; check the vocabulary arrived.
    tok = BertTokenizerFast.from_pretrained(out_dir)
    assert len(tok) == len(vocab), f"tokenizer has {len(tok)} tokens, expected {len(vocab)}"
    assert tok.convert_tokens_to_ids("movie") == vocab.index("movie")
    tok.save_pretrained(out_dir)
    if not keep_vocab_txt and os.path.exists(vocab_file):
        os.remove(vocab_file)
    return tok


def stored_tensor_names(out_dir):
    from safetensors import safe_open
    names = []
    for fname in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, fname)
        if fname.endswith(".safetensors") and "expected" not in fname:
            with safe_open(path, "pt") as f:
                names += list(f.keys())
        elif fname == "pytorch_model.bin":
            names += list(torch.load(path, map_location="cpu", weights_only=True).keys())
    return sorted(names)


def build(root, spec, index, vocab):
    name, config_cls, model_cls, extra, fmt, labels = spec
    out_dir = os.path.join(root, name)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    kwargs = base_kwargs(config_cls, len(vocab))
    kwargs.update(extra)
    if labels is not None:
        kwargs["id2label"] = {i: l for i, l in enumerate(labels)}
        kwargs["label2id"] = {l: i for i, l in enumerate(labels)}
    config = config_cls(**kwargs)
    config._attn_implementation = "eager"
    torch.manual_seed(1000 + index)
    model = model_cls(config).eval()
    spread_weights(model, 2000 + index)
    if fmt == "fp16":
        # Round the weights to fp16 so that the float64 reference uses exactly the stored values.
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())

    # Save in the requested format.
    if fmt == "safetensors":
        model.save_pretrained(out_dir)
    elif fmt == "sharded":
        model.save_pretrained(out_dir, max_shard_size="40KB")
    elif fmt == "fp16":
        model.half().save_pretrained(out_dir)
        model.float()
    elif fmt == "pytorch_bin":
        config.save_pretrained(out_dir)
        torch.save(model.state_dict(), os.path.join(out_dir, "pytorch_model.bin"))
    else:
        raise ValueError(fmt)

    is_roberta = config_cls in (RobertaConfig, XLMRobertaConfig)
    if not is_roberta:
        # bert-token-cls keeps only tokenizer.json, to exercise that path of the loader.
        save_tokenizer(out_dir, vocab, keep_vocab_txt=(name != "bert-token-cls"))

    with_types = config_cls not in (DistilBertConfig, RobertaConfig, XLMRobertaConfig)
    pad_id = config.pad_token_id
    ids, mask, types = make_inputs(len(vocab), pad_id, with_types, 3000 + index)
    model64 = model.double()
    feed = dict(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    if types is not None:
        feed["token_type_ids"] = types
    with torch.no_grad():
        out = model64(**feed)
    expected = {}
    hidden = out.hidden_states
    for i, h in enumerate(hidden):
        expected[f"hidden_states.{i}"] = h.float().contiguous()
    expected["last_hidden_state"] = hidden[-1].float().contiguous()
    if getattr(out, "logits", None) is not None:
        expected["logits"] = out.logits.float().contiguous()
    if getattr(out, "pooler_output", None) is not None:
        expected["pooler_output"] = out.pooler_output.float().contiguous()
    save_file(expected, os.path.join(out_dir, "expected.safetensors"), metadata={"reference": "float64 forward with transformers " + transformers.__version__})
    inputs = {"input_ids": ids.tolist(), "attention_mask": mask.tolist()}
    if types is not None:
        inputs["token_type_ids"] = types.tolist()
    with open(os.path.join(out_dir, "inputs.json"), "w") as f:
        json.dump(inputs, f)

    arch = type(model).__name__
    entry = {
        "name": name,
        "modelType": config.model_type,
        "architecture": arch,
        "weightsFormat": fmt,
        "hiddenSize": config.dim if config_cls is DistilBertConfig else config.hidden_size,
        "numHiddenLayers": config.n_layers if config_cls is DistilBertConfig else config.num_hidden_layers,
        "vocabSize": config.vocab_size,
        "numLabels": len(labels) if labels else None,
        "hasTokenizer": not is_roberta,
        "storedTensors": stored_tensor_names(out_dir),
        "inputs": "inputs.json",
        "expected": "expected.safetensors",
        "expectedTensors": sorted(expected.keys()),
    }
    return entry, model.float(), with_types


def text_goldens(root, model, entry):
    """Texts through the fast tokenizer and the model: the end-to-end golden for pipeline tests."""
    out_dir = os.path.join(root, entry["name"])
    tok = BertTokenizerFast.from_pretrained(out_dir)
    texts = [
        {"text": "this movie was really good"},
        {"text": "The plot was boring, and the music terrible!"},
        {"text": "我们都爱看这个电影"},
        {"text": "a great film", "text_pair": "the actor was very funny"},
    ]
    lines = []
    model64 = model.double()
    for t in texts:
        enc = tok(t["text"], t.get("text_pair"), return_tensors="pt", return_offsets_mapping=True)
        with torch.no_grad():
            o = model64(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], token_type_ids=enc["token_type_ids"])
        line = dict(t)
        line["input_ids"] = enc["input_ids"][0].tolist()
        line["token_type_ids"] = enc["token_type_ids"][0].tolist()
        line["offsets"] = enc["offset_mapping"][0].tolist()
        line["logits"] = o.logits[0].tolist()
        lines.append(line)
    with open(os.path.join(out_dir, "texts.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    model.float()


def main():
    root = sys.argv[1]
    os.makedirs(root, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    vocab = fixture_vocab()
    entries = []
    for index, spec in enumerate(SPECS):
        entry, model, _ = build(root, spec, index, vocab)
        if entry["name"] == "bert-seq-cls":
            text_goldens(root, model, entry)
            entry["texts"] = "texts.jsonl"
        entries.append(entry)
        print(f"{entry['name']:22s} {entry['architecture']:38s} {entry['weightsFormat']:12s} {len(entry['storedTensors'])} tensors")
    manifest = {
        "generator": "scripts/golden/make_model_fixtures.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "reference": "float64 forward, eager attention; expected tensors stored as F32",
        "models": entries,
    }
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
