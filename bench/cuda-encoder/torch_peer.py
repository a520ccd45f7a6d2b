#!/usr/bin/env python3
"""The PyTorch peer of bench/cuda-encoder: builds the BERT-base-shaped random model both sides run
(12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522; torch.manual_seed(0)), saves it as a Hugging
Face folder (config.json, model.safetensors, vocab.txt, tokenizer files) plus the benchmark inputs
(inputs.bin: int32 ids [128, 128], seeded), then times PyTorch on the same GPU: eager FP16 and, with
--compile, torch.compile(mode="max-autotune", dynamic=False), at batch 1 / 32 / 128 x seq 128. Median of
CUDA-event timings after warm-up. Writes torch.json (results are appended after each configuration, so
a run stopped by a time limit keeps what it measured).

Usage: python3 bench/cuda-encoder/torch_peer.py --out DIR [--compile] [--iters 50]
"""
import argparse
import json
import os
import statistics
import time

import torch
from transformers import BertConfig, BertModel

SEQ = 128
BATCHES = (1, 32, 128)
VOCAB = 30522


def make_model(out):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=VOCAB, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2,
                        hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0)
    model = BertModel(config, add_pooling_layer=False).eval()
    if not os.path.exists(os.path.join(out, "model.safetensors")):
        os.makedirs(out, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
        # A WordPiece vocabulary of whole words w5…: a text of n words is n tokens (+[CLS], [SEP]).
        words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(5, VOCAB)]
        with open(os.path.join(out, "vocab.txt"), "w") as f:
            f.write("\n".join(words) + "\n")
        with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
            json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 512,
                       "pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                       "mask_token": "[MASK]"}, f)
        g = torch.Generator().manual_seed(1)
        ids = torch.randint(5, VOCAB, (max(BATCHES), SEQ), generator=g, dtype=torch.int32)
        ids[:, 0] = 2  # [CLS]
        ids[:, -1] = 3  # [SEP]
        ids.numpy().tofile(os.path.join(out, "inputs.bin"))
    return model


def time_model(fn, ids, mask, iters):
    with torch.inference_mode():
        for _ in range(10):
            fn(input_ids=ids, attention_mask=mask)
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            start = torch.cuda.Event(enable_timing=True)
            stop = torch.cuda.Event(enable_timing=True)
            start.record()
            fn(input_ids=ids, attention_mask=mask)
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop))
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args()
    model = make_model(args.out)
    all_ids = torch.from_numpy(
        __import__("numpy").fromfile(os.path.join(args.out, "inputs.bin"), dtype="int32").reshape(-1, SEQ))
    model = model.half().cuda()
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": []}
    path = os.path.join(args.out, "torch.json")

    def save():
        with open(path, "w") as f:
            json.dump(results, f, indent=1)

    configs = [("PyTorch eager fp16", lambda: model)]
    if args.compile:
        def compiled():
            torch._dynamo.reset()
            return torch.compile(model, mode="max-autotune", dynamic=False)
        configs.append(('torch.compile max-autotune fp16', compiled))
    for name, make in configs:
        for batch in BATCHES:
            ids = all_ids[:batch].to("cuda", dtype=torch.long)
            mask = torch.ones_like(ids)
            t0 = time.time()
            fn = make()
            median, best = time_model(fn, ids, mask, args.iters)
            results["rows"].append({"config": name, "batch": batch, "seq": SEQ, "medianMs": median, "minMs": best,
                                    "setupS": time.time() - t0})
            print(f"{name:34s} batch {batch:4d}: median {median:.3f} ms (min {best:.3f}), setup {time.time() - t0:.0f} s",
                  flush=True)
            save()
    save()


if __name__ == "__main__":
    main()
