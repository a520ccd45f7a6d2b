"""Trains the small real models samp's tests, benchmarks and demo use, from scratch, on the shared data.

Run on the GPU machine, with the datasets copied next to the repo (see scripts/train/README.md):
    python3 scripts/train/train_models.py --data DATA_DIR --out OUT_DIR [--tasks tnews,sst2,afqmc,cluener]

Each task trains a 4-layer, hidden-256 BERT with transformers, on the train split only (the dev split
never enters training), prunes the vocabulary to the tokens the data uses, saves the model with
save_pretrained in fp16 safetensors, and writes Hugging Face's own predictions on the dev split as
golden files (`dev.jsonl.gz`: the inputs, the label, and the logits of the saved fp16 weights run in float32).
"""

import argparse
import gzip
import io
import json
import math
import os
import random
import time

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertTokenizerFast,
)

TOUTIAO_LABELS = [100, 101, 102, 103, 104, 106, 107, 108, 109, 110, 112, 113, 114, 115, 116]
# TNEWS is the benchmark model (the 4-layer hidden-256 shape the CPU goals name); the others are kept
# smaller so the repository (which travels to the GPU machine) stays light.
BENCH_SHAPE = dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024, max_position_embeddings=128)
SMALL_SHAPE = dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512, max_position_embeddings=128)
SHAPES = {"tnews": BENCH_SHAPE, "sst2": SMALL_SHAPE, "afqmc": SMALL_SHAPE, "cluener": SMALL_SHAPE}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_concatenated_json(path):
    """CLUENER's files are pretty-printed JSON objects one after another."""
    text = open(path, encoding="utf-8").read()
    decoder = json.JSONDecoder()
    i, out = 0, []
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)
    return out


# ---------------------------------------------------------------- datasets


def tnews(data):
    names = {int(r["label"]): r["label_desc"] for r in read_jsonl(f"{data}/clue_tnews/labels.json")}
    dev = [(r["sentence"], int(r["label"])) for r in read_jsonl(f"{data}/clue_tnews/textcnn_dev.json")]
    dev_few = read_jsonl(f"{data}/clue_tnews/fewclue_dev_few_all.json")
    held_out = {s for s, _ in dev} | {r["sentence"] for r in dev_few}
    pool = [(r["sentence"], int(r["label"])) for r in read_jsonl(f"{data}/clue_tnews/textcnn_test.json")]
    pool += [(r["sentence"], int(r["label"])) for r in read_jsonl(f"{data}/clue_tnews/fewclue_train_few_all.json")]
    for line in open(f"{data}/toutiao/toutiao_test.txt", encoding="utf-8"):
        parts = line.rstrip("\n").split("_!_")
        if len(parts) == 2 and parts[1].isdigit():
            pool.append((parts[0], TOUTIAO_LABELS[int(parts[1])]))
    seen, train = set(), []
    for s, l in pool:
        if s not in held_out and s not in seen:
            seen.add(s)
            train.append((s, l))
    label_ids = sorted(names)
    index = {l: i for i, l in enumerate(label_ids)}
    id2label = {i: names[l] for l, i in index.items()}
    return dict(
        kind="single", lang="zh", id2label=id2label,
        train=[{"text": s, "label": index[l]} for s, l in train],
        dev=[{"text": s, "label": index[l]} for s, l in dev],
    )


def sst2(data):
    def read(path):
        rows = []
        with open(path, encoding="utf-8") as f:
            next(f)
            for line in f:
                s, l = line.rstrip("\n").rsplit("\t", 1)
                rows.append({"text": s.strip(), "label": int(l)})
        return rows
    return dict(kind="single", lang="en", id2label={0: "negative", 1: "positive"},
                train=read(f"{data}/glue_sst2/train.tsv"), dev=read(f"{data}/glue_sst2/dev.tsv"))


def afqmc(data):
    dev = [{"text": r["sentence1"], "text_pair": r["sentence2"], "label": int(r["label"])} for r in read_jsonl(f"{data}/clue_afqmc/dev.json")]
    held_out = {(d["text"], d["text_pair"]) for d in dev} | {(d["text_pair"], d["text"]) for d in dev}
    train = []
    for line in open(f"{data}/atec/atec_nlp_sim_train.csv", encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 4:
            continue
        _, a, b, l = parts
        if (a, b) not in held_out:
            train.append({"text": a, "text_pair": b, "label": int(l)})
    dev_sentences = {d["text"] for d in dev} | {d["text_pair"] for d in dev}
    pretrain = sorted({s for r in train for s in (r["text"], r["text_pair"])} - dev_sentences)
    return dict(kind="pair", lang="zh", id2label={0: "different", 1: "same"}, train=train, dev=dev, pretrain_text=pretrain)


CLUENER_TYPES = ["address", "book", "company", "game", "government", "movie", "name", "organization", "position", "scene"]


def cluener(data):
    def convert(records):
        out = []
        for r in records:
            spans = []
            for etype, mentions in r.get("label", {}).items():
                for mention, positions in mentions.items():
                    for s, e in positions:
                        spans.append({"type": etype, "start": s, "end": e + 1, "text": r["text"][s:e + 1]})
            out.append({"text": r["text"], "entities": sorted(spans, key=lambda x: x["start"])})
        return out
    labels = ["O"] + [f"{p}-{t}" for t in CLUENER_TYPES for p in ("B", "I")]
    return dict(kind="token", lang="zh", id2label=dict(enumerate(labels)),
                train=convert(read_concatenated_json(f"{data}/cluener/train.json")),
                dev=convert(read_concatenated_json(f"{data}/cluener/dev.json")))


TASKS = {"tnews": tnews, "sst2": sst2, "afqmc": afqmc, "cluener": cluener}

# ---------------------------------------------------------------- vocabulary


def write_tokenizer(folder, vocab, lowercase):
    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/vocab.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(f"{folder}/tokenizer_config.json", "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": lowercase, "unk_token": "[UNK]", "sep_token": "[SEP]",
                   "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]", "tokenize_chinese_chars": True,
                   "strip_accents": None, "model_max_length": 128}, f, indent=2)
    tok = BertTokenizerFast.from_pretrained(folder)
    assert len(tok) == len(vocab), (len(tok), len(vocab))
    return tok


def pruned_vocab(full_vocab_file, texts, lowercase, tmp):
    full = [l.rstrip("\n") for l in open(full_vocab_file, encoding="utf-8")]
    tok = write_tokenizer(tmp, full, lowercase)
    used = set()
    for i in range(0, len(texts), 2048):
        for ids in tok(texts[i:i + 2048], add_special_tokens=False)["input_ids"]:
            used.update(ids)
    keep = {full.index(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]} | used
    return [full[i] for i in sorted(keep)]


# ---------------------------------------------------------------- encoding


def encode(tok, rows, kind, max_len):
    a = [r["text"] for r in rows]
    b = [r["text_pair"] for r in rows] if kind == "pair" else None
    enc = tok(a, b, truncation=True, max_length=max_len, return_offsets_mapping=(kind == "token"))
    if kind == "token":
        labels = []
        for r, offsets in zip(rows, enc["offset_mapping"]):
            char_tags = ["O"] * len(r["text"])
            for e in r["entities"]:
                char_tags[e["start"]] = "B-" + e["type"]
                for k in range(e["start"] + 1, e["end"]):
                    char_tags[k] = "I-" + e["type"]
            tags = []
            for s, e in offsets:
                if s == e:
                    tags.append(-100)
                else:
                    tag = char_tags[s]
                    if tag.startswith("I-") and (s == 0 or char_tags[s - 1] == "O"):
                        tag = "B-" + tag[2:]
                    tags.append(tag)
            labels.append(tags)
        enc["tag_strings"] = labels
    return enc


def batches(enc, labels, order, batch_size, pad_id):
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        n = max(len(enc["input_ids"][j]) for j in idx)
        ids = torch.full((len(idx), n), pad_id, dtype=torch.long)
        types = torch.zeros((len(idx), n), dtype=torch.long)
        mask = torch.zeros((len(idx), n), dtype=torch.long)
        lab = [] if labels is not None else None
        for r, j in enumerate(idx):
            L = len(enc["input_ids"][j])
            ids[r, :L] = torch.tensor(enc["input_ids"][j])
            types[r, :L] = torch.tensor(enc["token_type_ids"][j])
            mask[r, :L] = 1
            if labels is not None:
                lab.append(labels[j])
        yield idx, ids, types, mask, lab


# ---------------------------------------------------------------- training


def train_task(name, task, args, device):
    t0 = time.time()
    lowercase = task["lang"] == "en"
    full_vocab = f"{args.data}/vocab/bert-base-{'uncased' if lowercase else 'chinese'}-vocab.txt"
    texts = [r["text"] for r in task["train"] + task["dev"]] + [r["text_pair"] for r in task["train"] + task["dev"] if "text_pair" in r]
    vocab = pruned_vocab(full_vocab, texts, lowercase, f"/tmp/fullvocab-{name}")
    folder = f"{args.out}/{name}"
    tok = write_tokenizer(folder, vocab, lowercase)
    kind = task["kind"]
    id2label = task["id2label"]
    label2id = {v: k for k, v in id2label.items()}
    max_len = 128 if kind == "pair" else 64
    shape = SHAPES[name]
    cfg = BertConfig(vocab_size=len(vocab), type_vocab_size=2, pad_token_id=0, num_labels=len(id2label),
                     id2label=id2label, label2id=label2id, **shape)
    model_cls = BertForTokenClassification if kind == "token" else BertForSequenceClassification
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = model_cls(cfg).to(device)
    pretrain_info = None
    if name in args.pretrain:
        pretrain_info = pretrain_mlm(model, tok, task["pretrain_text"], args, device)

    enc_train = encode(tok, task["train"], kind, max_len)
    if kind == "token":
        train_labels = [[t if t == -100 else label2id[t] for t in tags] for tags in enc_train["tag_strings"]]
    else:
        train_labels = [r["label"] for r in task["train"]]
    epochs = args.epochs.get(name, 5)
    lr = args.finetune_lr if pretrain_info else args.lr
    steps = epochs * math.ceil(len(task["train"]) / args.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    model.train()
    step = 0
    for epoch in range(epochs):
        order = list(range(len(task["train"])))
        random.shuffle(order)
        total = 0.0
        for _, ids, types, mask, lab in batches(enc_train, train_labels, order, args.batch_size, 0):
            if kind == "token":
                n = ids.shape[1]
                y = torch.tensor([l + [-100] * (n - len(l)) for l in lab])
            else:
                y = torch.tensor(lab)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                out = model(input_ids=ids.to(device), token_type_ids=types.to(device), attention_mask=mask.to(device), labels=y.to(device))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            total += out.loss.item()
            step += 1
        print(f"  {name} epoch {epoch + 1}/{epochs} loss {total / max(1, math.ceil(len(order) / args.batch_size)):.4f}", flush=True)

    # Save in fp16, then evaluate exactly the saved weights (widened to float32) as the golden.
    model = model.eval().half()
    model.save_pretrained(folder)
    model = model_cls.from_pretrained(folder, dtype=torch.float32).to(device).eval()
    enc_dev = encode(tok, task["dev"], kind, max_len)
    golden = []
    correct = 0
    tp = fp = fn = 0
    with torch.no_grad():
        for idx, ids, types, mask, _ in batches(enc_dev, None, list(range(len(task["dev"]))), 256, 0):
            logits = model(input_ids=ids.to(device), token_type_ids=types.to(device), attention_mask=mask.to(device)).logits.float().cpu()
            for r, j in enumerate(idx):
                row = dict(task["dev"][j])
                L = len(enc_dev["input_ids"][j])
                if kind == "token":
                    lg = logits[r, :L]
                    # Token logits are large: keep them for the first rows, and the argmax tags for all.
                    if j < 200:
                        row["logits"] = [[round(v, 6) for v in t] for t in lg.tolist()]
                    row["predicted_tags"] = lg.argmax(-1).tolist()
                    pred_tags = [id2label[int(k)] for k in row["predicted_tags"]]
                    pred = spans_from_tags(pred_tags, enc_dev["offset_mapping"][j])
                    gold = {(e["type"], e["start"], e["end"]) for e in row["entities"]}
                    predicted = {(e[0], e[1], e[2]) for e in pred}
                    tp += len(gold & predicted)
                    fp += len(predicted - gold)
                    fn += len(gold - predicted)
                else:
                    lg = logits[r]
                    row["logits"] = [round(v, 6) for v in lg.tolist()]
                    correct += int(int(lg.argmax()) == row["label"])
                row["input_ids"] = enc_dev["input_ids"][j]
                golden.append(row)
    if kind == "token":
        p = tp / max(1, tp + fp)
        r = tp / max(1, tp + fn)
        metric = {"entity_f1": 2 * p * r / max(1e-9, p + r), "precision": p, "recall": r}
    else:
        metric = {"accuracy": correct / len(task["dev"])}
    # gzip with a fixed mtime: deterministic bytes, and a quarter of the size in the repository.
    with gzip.GzipFile(f"{folder}/dev.jsonl.gz", "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8") as f:
        for row in golden:
            if kind != "token":
                row["label"] = id2label[row["label"]]
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    info = {"task": name, "kind": kind, "train_examples": len(task["train"]), "dev_examples": len(task["dev"]), "epochs": epochs,
            "vocab_size": len(vocab), "shape": shape, "mlm_pretraining": pretrain_info, "dev_metric_fp16_weights_fp32_compute": metric,
            "seconds": round(time.time() - t0, 1), "torch": torch.__version__}
    with open(f"{folder}/training.json", "w") as f:
        json.dump(info, f, indent=2)
    print(f"{name}: {metric} in {info['seconds']} s, vocab {len(vocab)}", flush=True)
    return info


def pretrain_mlm(model, tok, texts, args, device):
    """Masked-LM pre-training of the encoder on unlabelled in-domain text (BERT's 80/10/10 masking)."""
    from transformers import BertForMaskedLM
    mlm = BertForMaskedLM(model.config).to(device)
    mlm.bert.load_state_dict(model.bert.state_dict(), strict=False)
    enc = tok(texts, truncation=True, max_length=64)
    ids_all = enc["input_ids"]
    opt = torch.optim.AdamW(mlm.parameters(), lr=args.lr, weight_decay=0.01)
    special = torch.tensor(tok.all_special_ids)
    steps = args.pretrain_epochs * math.ceil(len(ids_all) / args.batch_size)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    mlm.train()
    t0 = time.time()
    for epoch in range(args.pretrain_epochs):
        order = list(range(len(ids_all)))
        random.shuffle(order)
        total, n = 0.0, 0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            L = max(len(ids_all[j]) for j in idx)
            ids = torch.zeros((len(idx), L), dtype=torch.long)
            mask = torch.zeros((len(idx), L), dtype=torch.long)
            for r, j in enumerate(idx):
                ids[r, :len(ids_all[j])] = torch.tensor(ids_all[j])
                mask[r, :len(ids_all[j])] = 1
            labels = ids.clone()
            prob = torch.full(ids.shape, 0.15)
            prob[torch.isin(ids, special)] = 0
            prob[mask == 0] = 0
            chosen = torch.bernoulli(prob).bool()
            labels[~chosen] = -100
            replace = chosen & torch.bernoulli(torch.full(ids.shape, 0.8)).bool()
            ids[replace] = tok.mask_token_id
            rand = chosen & ~replace & torch.bernoulli(torch.full(ids.shape, 0.5)).bool()
            ids[rand] = torch.randint(5, len(tok), ids.shape)[rand]
            with torch.autocast("cuda", dtype=torch.bfloat16):
                out = mlm(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(mlm.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            total += out.loss.item()
            n += 1
        print(f"  mlm epoch {epoch + 1}/{args.pretrain_epochs} loss {total / max(1, n):.4f}", flush=True)
    model.bert.load_state_dict(mlm.bert.state_dict(), strict=False)
    return {"sentences": len(ids_all), "epochs": args.pretrain_epochs, "final_loss": round(total / max(1, n), 4), "seconds": round(time.time() - t0, 1)}


def spans_from_tags(tags, offsets):
    """BIO tags over word pieces into (type, start, end) character spans (a stray I- starts a span, as seqeval does)."""
    spans, cur = [], None
    for tag, (s, e) in zip(tags, offsets):
        if s == e:
            continue
        if tag == "O":
            if cur:
                spans.append(tuple(cur))
            cur = None
        elif tag.startswith("B-") or cur is None or cur[0] != tag[2:]:
            if cur:
                spans.append(tuple(cur))
            cur = [tag[2:], s, e]
        else:
            cur[2] = e
    if cur:
        spans.append(tuple(cur))
    return spans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tasks", default="tnews,sst2,afqmc,cluener")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pretrain", default="afqmc", help="tasks whose encoder is MLM-pretrained first")
    ap.add_argument("--pretrain-epochs", type=int, default=8)
    ap.add_argument("--finetune-lr", type=float, default=2e-4)
    args = ap.parse_args()
    args.pretrain = set(filter(None, args.pretrain.split(",")))
    args.epochs = {"tnews": 6, "sst2": 4, "afqmc": 4, "cluener": 20}
    device = "cuda"
    summary = []
    for name in args.tasks.split(","):
        task = TASKS[name](args.data)
        print(f"{name}: {len(task['train'])} train, {len(task['dev'])} dev", flush=True)
        summary.append(train_task(name, task, args, device))
    with open(f"{args.out}/summary.json", "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
