"""What the vendor libraries alone take for the BERT-base encoder's products on this GPU.

The four GEMMs of a layer (QKV, attention output, FFN1, FFN2) as bare products — no bias, no activation,
no LayerNorm, no quantization — through PyTorch's cuBLAS / cuBLASLt (FP16 `torch.mm`, INT8 `torch._int_mm`
into int32), and the attention through PyTorch's flash attention (`scaled_dot_product_attention`, FP16),
each over 12 layers of distinct weights (so the weights stream from memory as in the encoder), captured in
a CUDA graph and timed by events over replays (median). Their sum is a lower bound on an encoder pass
built from these libraries' kernels: everything else (epilogues, LayerNorms, the embedding) adds to it.

    python3 bench/cuda-encoder/gemm_bound.py [--batches 1,32,128] [--seq 128] [--json out.json]
"""

import argparse
import json
import statistics

import torch
import torch.nn.functional as F

HIDDEN, HEADS, FFN, LAYERS = 768, 12, 3072, 12
# (name, n, k): out[tokens, n] = x[tokens, k] · w[n, k]ᵀ
GEMMS = [("qkv", 3 * HIDDEN, HIDDEN), ("attention-output", HIDDEN, HIDDEN), ("ffn1", FFN, HIDDEN), ("ffn2", HIDDEN, FFN)]


def time_graph(step, replays=50):
    """Median ms of one replay of a graph holding step()."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    for _ in range(5):
        graph.replay()
    times = []
    for _ in range(replays):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def gemm_ms(dtype, tokens, n, k):
    """One GEMM shape over LAYERS distinct weights, ms for all of them."""
    if dtype == "int8":
        x = torch.randint(-127, 128, (tokens, k), dtype=torch.int8, device="cuda")
        ws = [torch.randint(-127, 128, (n, k), dtype=torch.int8, device="cuda") for _ in range(LAYERS)]
        out = torch.empty(tokens, n, dtype=torch.int32, device="cuda")

        def step():
            for w in ws:
                torch._int_mm(x, w.t(), out=out)  # TN: w.t() is column-major, cuBLASLt's layout

        return time_graph(step)
    x = torch.randn(tokens, k, dtype=torch.float16, device="cuda")
    ws = [torch.randn(n, k, dtype=torch.float16, device="cuda") for _ in range(LAYERS)]
    out = torch.empty(tokens, n, dtype=torch.float16, device="cuda")

    def step():
        for w in ws:
            torch.mm(x, w.t(), out=out)

    return time_graph(step)


def attention_ms(batch, seq):
    qkv = [torch.randn(batch, HEADS, seq, HIDDEN // HEADS, dtype=torch.float16, device="cuda") for _ in range(3)]

    def step():
        for _ in range(LAYERS):
            F.scaled_dot_product_attention(*qkv)

    return time_graph(step)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", default="1,32,128")
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        tokens = batch * args.seq
        attention = attention_ms(batch, args.seq)
        for dtype in ("fp16", "int8"):
            per = {name: gemm_ms(dtype, tokens, n, k) for name, n, k in GEMMS}
            ops = sum(2 * tokens * n * k for _, n, k in GEMMS) * LAYERS
            gemms = sum(per.values())
            rows.append(
                {
                    "batch": batch,
                    "dtype": dtype,
                    **{f"{name}_ms": round(v, 4) for name, v in per.items()},
                    "gemms_ms": round(gemms, 4),
                    "tera_ops_per_s": round(ops / gemms / 1e9, 1),
                    "attention_fp16_ms": round(attention, 4),
                    "bound_ms": round(gemms + attention, 4),
                }
            )
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, seq {args.seq}, {LAYERS} layers")
    print("| batch | type | QKV | attention output | FFN1 | FFN2 | GEMMs (ms) | T(FL)OP/s | + flash attention (ms) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['batch']} | {r['dtype']} | {r['qkv_ms']:.3f} | {r['attention-output_ms']:.3f} | {r['ffn1_ms']:.3f} | "
            f"{r['ffn2_ms']:.3f} | {r['gemms_ms']:.3f} | {r['tera_ops_per_s']:.0f} | {r['bound_ms']:.3f} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
