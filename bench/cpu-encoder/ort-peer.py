#!/usr/bin/env python3
"""onnxruntime (CPU EP) side of the GPU machine's CPU benchmark (device-bench.sh), where there is no
Node.js: times OUT_DIR/model.onnx (FP32) and model.int8.onnx (quantize_dynamic) as made by
scripts/export/export_onnx.py, on random token ids of the given shapes, with the same thread count as
samp's bench_encoder. Median and min of --runs timed runs after 2 warm-up runs, plus process CPU ms per
run. Prints one line per configuration and writes a JSON summary when --json is given.

    python3 bench/cpu-encoder/ort-peer.py DIR [--seq 128] [--batches 1,32] [--threads 16] [--runs 10]
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import onnxruntime as ort


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--batches", default="1,32")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--vocab", type=int, default=5000)
    p.add_argument("--json")
    a = p.parse_args()
    results = []
    for name, file in (("ort fp32", "model.onnx"), ("ort int8", "model.int8.onnx")):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = a.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(os.path.join(a.dir, file), opts, providers=["CPUExecutionProvider"])
        for batch in (int(b) for b in a.batches.split(",")):
            rng = np.random.default_rng(batch)
            feeds = {
                "input_ids": rng.integers(5, a.vocab, (batch, a.seq), dtype=np.int64),
                "attention_mask": np.ones((batch, a.seq), dtype=np.int64),
                "token_type_ids": np.zeros((batch, a.seq), dtype=np.int64),
            }
            for _ in range(2):
                session.run(None, feeds)
            runs = a.runs * (3 if batch == 1 else 1)
            times = []
            cpu0 = time.process_time()
            for _ in range(runs):
                t0 = time.perf_counter()
                session.run(None, feeds)
                times.append((time.perf_counter() - t0) * 1e3)
            cpu = (time.process_time() - cpu0) * 1e3 / runs
            r = {"config": name, "batch": batch, "seq": a.seq, "threads": a.threads,
                 "medianMs": statistics.median(times), "minMs": min(times), "cpuMs": cpu}
            results.append(r)
            print(f"{name:<12} {a.threads}t b{batch} x{a.seq}: median {r['medianMs']:.2f} ms (min {r['minMs']:.2f}) | "
                  f"CPU {cpu:.2f} ms/run | {batch * 1000 / r['medianMs']:.0f} seq/s", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"onnxruntime": ort.__version__, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
