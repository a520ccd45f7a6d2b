"""Exports a Hugging Face BERT-family model folder to ONNX (the encoder: last_hidden_state) and quantizes it
with onnxruntime's quantize_dynamic, for the CPU benchmark against onnxruntime-node.

Run on the GPU machine (it has torch, onnx and onnxruntime):
    python3 scripts/export/export_onnx.py packages/model-tnews-zh-small/model OUT_DIR

Writes OUT_DIR/model.onnx (fp32) and OUT_DIR/model.int8.onnx (dynamic INT8: int8 per-channel weights,
uint8 activations quantized on the fly), and checks both against transformers on a padded batch.
"""
import os
import sys

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel


class Encoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    model = AutoModel.from_pretrained(src, dtype=torch.float32, attn_implementation="eager").eval()
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (4, 48), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 30:] = 0
    mask[3, 10:] = 0
    ids[mask == 0] = 0
    types = torch.zeros_like(ids)
    with torch.no_grad():
        ref = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state.numpy()
    real = mask.numpy().astype(bool)
    # A differently shaped batch checks that nothing of the example batch was baked into the graph.
    ids2 = torch.randint(5, vocab, (2, 20), generator=g)
    mask2 = torch.ones_like(ids2)
    mask2[0, 15:] = 0
    with torch.no_grad():
        ref2 = model(input_ids=ids2, attention_mask=mask2, token_type_ids=torch.zeros_like(ids2)).last_hidden_state.numpy()

    def error(path):
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        worst = 0.0
        for i, m, r in ((ids, mask, ref), (ids2, mask2, ref2)):
            got = session.run(None, {"input_ids": i.numpy(), "attention_mask": m.numpy(), "token_type_ids": np.zeros_like(i.numpy())})[0]
            keep = m.numpy().astype(bool)
            worst = max(worst, float(np.linalg.norm(got[keep] - r[keep]) / np.linalg.norm(r[keep])))
        return worst

    fp32 = os.path.join(out, "model.onnx")
    for dynamo in (True, False):
        try:
            torch.onnx.export(
                Encoder(model), (ids, mask, types), fp32, dynamo=dynamo, opset_version=18,
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                **({"external_data": False} if dynamo else {}),
            )
        except Exception as e:  # one exporter may fail where the other works
            print(f"exporter dynamo={dynamo} failed: {e}")
            continue
        err = error(fp32)
        print(f"exporter dynamo={dynamo}: relative error vs transformers {err:.2e}")
        if err < 1e-4:
            break
    else:
        raise SystemExit("no exporter produced a graph that matches transformers")
    int8 = os.path.join(out, "model.int8.onnx")
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True)
    for path in (fp32, int8):
        print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e6:.1f} MB, relative error vs transformers {error(path):.2e}")


if __name__ == "__main__":
    main()
