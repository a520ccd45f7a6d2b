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
    fp32 = os.path.join(out, "model.onnx")
    torch.onnx.export(
        Encoder(model), (ids, mask, types), fp32, dynamo=False, opset_version=17,
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
    )
    int8 = os.path.join(out, "model.int8.onnx")
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True)
    with torch.no_grad():
        ref = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state.numpy()
    feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
    for path in (fp32, int8):
        got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feed)[0]
        real = mask.numpy().astype(bool)
        rel = np.linalg.norm(got[real] - ref[real]) / np.linalg.norm(ref[real])
        print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e6:.1f} MB, relative error vs transformers {rel:.2e}")


if __name__ == "__main__":
    main()
