"""ONNX → :class:`Workload`, through the ``onnx`` package and its shape inference.

Every graph node ends up in exactly one place:

- Conv / ConvInteger / QLinearConv (1-D and 2-D), Gemm, MatMul / MatMulInteger /
  QLinearMatMul → costed layers. Kernel H×W becomes FY×FX, output H×W becomes OY×OX and
  strides are (y, x) = (H, W) — the original swapped them (carbonspot-model.md §13.8).
- Pooling, element-wise, activation, normalisation and layout ops → layers listed with
  ``costless=True`` (pooling as a depthwise loop nest with 0-bit weights).
- ``Constant`` nodes and nodes computed only from constants (weight transposes, casts,
  dequantisation) are folded into the constants they produce, as at load time.
- Anything else (recurrent cells, transposed convs, control flow, custom domains, 3-D
  convs) → ``Workload.unsupported`` as ``"Op xN"``, never silently dropped.

Every layer records its producers (``Layer.inputs``) from the graph's tensor names: the
layers whose outputs it reads, graph inputs and constants excluded. Costless layers stay in
the graph; the cost model bridges them (``evaluate.layer_graph``).

Symbolic batch dimensions count as 1. A compute layer whose shapes shape inference cannot
determine is an :class:`InputError`, as is an unreadable or malformed file.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from carbonspot.errors import InputError
from carbonspot.workload.model import Layer, Precision, Workload

CONV_OPS = {"Conv": (0, 1), "ConvInteger": (0, 1), "QLinearConv": (0, 3)}  # (x, w) inputs
MATMUL_OPS = {"MatMul": (0, 1), "MatMulInteger": (0, 1), "QLinearMatMul": (0, 3)}
POOL_OPS = {"MaxPool", "AveragePool", "LpPool"}
GLOBAL_POOL_OPS = {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}
# Listed but not costed: element-wise arithmetic, activations, normalisations, reductions,
# quantisation and pure data-layout ops.
COSTLESS_OPS = {
    # element-wise arithmetic and comparisons
    "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs",
    "Max", "Min", "Sum", "Mean", "Erf", "Floor", "Ceil", "Round", "Sign", "Mod", "Where",
    "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or",
    # activations
    "Relu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "PRelu",
    "Elu", "Selu", "Celu", "Gelu", "Softplus", "Softsign", "Mish", "ThresholdedRelu",
    "Softmax", "LogSoftmax",
    # normalisation and reductions
    "BatchNormalization", "LayerNormalization", "InstanceNormalization",
    "GroupNormalization", "LpNormalization", "ReduceMean", "ReduceSum", "ReduceMax",
    "ReduceMin", "ReduceProd", "ReduceL2", "ReduceSumSquare", "ArgMax", "ArgMin",
    # quantisation
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "Cast",
    # layout / data movement
    "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice",
    "Gather", "GatherElements", "Expand", "Tile", "Pad", "Identity", "Dropout", "Shape",
    "Size", "ConstantOfShape", "Range", "DepthToSpace", "SpaceToDepth", "Resize",
    "Upsample", "CastLike",
}  # fmt: skip
CONSTANT_OPS = {"Constant"}


def _ints(attrs: dict[str, Any], key: str, default: Sequence[int]) -> list[int]:
    value = attrs.get(key)
    return [int(v) for v in value] if value is not None else list(default)


def _window(
    size: int,
    kernel: int,
    stride: int,
    dilation: int,
    pad_begin: int,
    pad_end: int,
    auto_pad: str,
    ceil_mode: bool = False,
) -> tuple[int, int, int]:
    """Output size and (begin, end) padding along one axis (ONNX operator definitions)."""
    effective = (kernel - 1) * dilation + 1
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + effective - size, 0)
        small, large = total // 2, total - total // 2
        return (out, small, large) if auto_pad == "SAME_UPPER" else (out, large, small)
    if auto_pad == "VALID":
        pad_begin = pad_end = 0
    span = size + pad_begin + pad_end - effective
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    return out, pad_begin, pad_end


class _Graph:
    """Shapes, constants and attributes of a shape-inferred ONNX graph."""

    def __init__(self, model: Any, source: str) -> None:
        import onnx

        self.onnx = onnx
        self.source = source
        graph = model.graph
        self.shapes: dict[str, list[int | None]] = {}
        for info in list(graph.input) + list(graph.value_info) + list(graph.output):
            tensor = info.type.tensor_type
            if not tensor.HasField("shape"):
                continue
            dims: list[int | None] = []
            for d in tensor.shape.dim:
                dims.append(int(d.dim_value) if d.HasField("dim_value") else None)
            self.shapes[info.name] = dims
        self.constants: set[str] = set()
        for init in graph.initializer:
            self.shapes[init.name] = [int(d) for d in init.dims]
            self.constants.add(init.name)

    def attrs(self, node: Any) -> dict[str, Any]:
        out = {}
        for a in node.attribute:
            value = self.onnx.helper.get_attribute_value(a)
            out[a.name] = value.decode() if isinstance(value, bytes) else value
        return out

    def shape(self, name: str, node: Any, role: str, batch_dim: bool = True) -> list[int]:
        """Static shape of tensor ``name``; a symbolic leading (batch) dim counts as 1."""
        dims = self.shapes.get(name)
        if dims is not None:
            dims = list(dims)
            if dims and dims[0] is None and batch_dim:
                dims[0] = 1
        if dims is None or any(d is None for d in dims):
            raise InputError(
                f"shape of {role} tensor {name!r} is unknown after shape inference",
                source=self.source,
                field=f"node {node.name or node.op_type!r} ({node.op_type})",
                allowed="models with static tensor shapes (fix the input shape and re-export)",
            )
        return [int(d) for d in dims]  # type: ignore[arg-type]

    def known_shape(self, name: str) -> list[int] | None:
        dims = self.shapes.get(name)
        if dims is None:
            return None
        dims = [1 if (i == 0 and d is None) else d for i, d in enumerate(dims)]
        return None if any(d is None for d in dims) else [int(d) for d in dims]  # type: ignore[arg-type]


def _conv_layer(g: _Graph, node: Any, name: str, precision: Precision) -> Layer | None:
    x_idx, w_idx = CONV_OPS[node.op_type]
    attrs = g.attrs(node)
    x = g.shape(node.input[x_idx], node, "input")
    w = g.shape(node.input[w_idx], node, "weight", batch_dim=False)
    if len(x) == 3:  # 1-D conv (N, C, L): the length is the X axis
        x, w = [x[0], x[1], 1, x[2]], [w[0], w[1], 1, w[2]]
        for key, pad in (("kernel_shape", 1), ("strides", 1), ("dilations", 1)):
            if key in attrs:
                attrs[key] = [pad, *attrs[key]]
        if "pads" in attrs:
            attrs["pads"] = [0, attrs["pads"][0], 0, attrs["pads"][1]]
    if len(x) != 4:
        return None  # 3-D convolutions are reported as unsupported
    n, c_in, h, width = x
    kernel = _ints(attrs, "kernel_shape", w[2:4])  # (kH, kW)
    strides = _ints(attrs, "strides", (1, 1))  # (sH, sW)
    dilations = _ints(attrs, "dilations", (1, 1))
    pads = _ints(attrs, "pads", (0, 0, 0, 0))  # (top, left, bottom, right)
    auto_pad = str(attrs.get("auto_pad", "NOTSET"))
    group = int(attrs.get("group", 1))
    oy, top, bottom = _window(h, kernel[0], strides[0], dilations[0], pads[0], pads[2], auto_pad)
    ox, left, right = _window(
        width, kernel[1], strides[1], dilations[1], pads[1], pads[3], auto_pad
    )
    c_out = w[0]
    if group < 1 or c_in % group or c_out % group:
        raise InputError(
            f"group={group} does not divide {c_in} input / {c_out} output channels",
            source=g.source,
            field=f"node {name!r} (Conv).group",
            allowed="a divisor of both channel counts",
        )
    constant = node.input[w_idx] in g.constants
    return Layer(
        name=name,
        operator="Conv",
        loops={
            "B": n,
            "K": c_out // group,
            "G": group,
            "C": c_in // group,
            "OY": oy,
            "OX": ox,
            "FY": kernel[0],
            "FX": kernel[1],
        },
        stride=(strides[0], strides[1]),
        dilation=(dilations[0], dilations[1]),
        padding=(top, left, bottom, right),
        precision=precision,
        constant_operands=("W",) if constant else (),
        input_size=(h, width),
    )


def _gemm_layer(g: _Graph, node: Any, name: str, precision: Precision) -> Layer:
    attrs = g.attrs(node)
    b = g.shape(node.input[1], node, "B", batch_dim=False)
    a = g.known_shape(node.input[0])
    if len(b) != 2 or (a is not None and len(a) != 2):
        raise InputError(
            "Gemm operands must be 2-D",
            source=g.source,
            field=f"node {name!r} (Gemm)",
            allowed="2-D A and B",
        )
    n_out = b[0] if attrs.get("transB", 0) else b[1]
    reduction = b[1] if attrs.get("transB", 0) else b[0]
    if a is not None:
        rows = a[1] if attrs.get("transA", 0) else a[0]
    else:
        rows = g.shape(node.output[0], node, "output")[0]
    a_const, b_const = node.input[0] in g.constants, node.input[1] in g.constants
    if a_const and not b_const:  # O = W·X: the output features are A's rows
        rows, n_out = n_out, rows
    return Layer(
        name=name,
        operator="Gemm",
        loops={"B": rows, "K": n_out, "C": reduction},
        precision=precision,
        constant_operands=("W",) if (a_const or b_const) else (),
    )


def _matmul_layer(g: _Graph, node: Any, name: str, precision: Precision) -> Layer:
    a_idx, b_idx = MATMUL_OPS[node.op_type]
    a = g.shape(node.input[a_idx], node, "A")
    b = g.shape(node.input[b_idx], node, "B", batch_dim=False)
    a_const, b_const = node.input[a_idx] in g.constants, node.input[b_idx] in g.constants
    a2 = [1, *a] if len(a) == 1 else a
    b2 = [*b, 1] if len(b) == 1 else b
    rows, reduction, n_out = a2[-2], a2[-1], b2[-1]
    if b2[-2] != reduction:
        raise InputError(
            f"inner dimensions differ ({reduction} vs {b2[-2]})",
            source=g.source,
            field=f"node {name!r} ({node.op_type})",
            allowed="A[..., M, K] @ B[..., K, N]",
        )
    a_batch, b_batch = math.prod(a2[:-2]), math.prod(b2[:-2])
    if b_const and not a_const:  # activation x weight
        if b_batch == 1:
            loops = {"B": a_batch * rows, "K": n_out, "C": reduction}
        else:  # per-group constant weights
            loops = {"B": max(a_batch // b_batch, 1) * rows, "K": n_out, "C": reduction}
            loops["G"] = b_batch
        constant: tuple[str, ...] = ("W",)
    elif a_const and not b_const:  # weight x activation: output features are A's rows
        loops = {"B": b_batch * n_out, "K": rows, "C": reduction, "G": a_batch}
        constant = ("W",)
    else:  # activation x activation (attention); batch/head dims become groups
        loops = {"B": rows, "K": n_out, "C": reduction, "G": max(a_batch, b_batch)}
        constant = ("W",) if (a_const and b_const) else ()
    return Layer(
        name=name,
        operator="MatMul",
        loops=loops,
        precision=precision,
        constant_operands=constant,
    )


def _pool_layer(g: _Graph, node: Any, name: str, precision: Precision) -> Layer | None:
    x = g.known_shape(node.input[0])
    if x is None or len(x) not in (3, 4):
        return None
    if len(x) == 3:
        x = [x[0], x[1], 1, x[2]]
    n, c, h, width = x
    pool_precision = replace(precision, weight_bits=0)
    if node.op_type in GLOBAL_POOL_OPS:
        return Layer(
            name=name,
            operator="Pool",
            loops={"B": n, "G": c, "FY": h, "FX": width},
            precision=pool_precision,
            costless=True,
            input_size=(h, width),
        )
    attrs = g.attrs(node)
    kernel = _ints(attrs, "kernel_shape", (1, 1))
    strides = _ints(attrs, "strides", (1,) * len(kernel))
    dilations = _ints(attrs, "dilations", (1,) * len(kernel))
    pads = _ints(attrs, "pads", (0,) * 2 * len(kernel))
    if len(kernel) == 1:
        kernel, strides, dilations = [1, *kernel], [1, *strides], [1, *dilations]
        pads = [0, pads[0], 0, pads[1]]
    auto_pad = str(attrs.get("auto_pad", "NOTSET"))
    ceil_mode = bool(attrs.get("ceil_mode", 0))
    oy, top, bottom = _window(
        h, kernel[0], strides[0], dilations[0], pads[0], pads[2], auto_pad, ceil_mode
    )
    ox, left, right = _window(
        width, kernel[1], strides[1], dilations[1], pads[1], pads[3], auto_pad, ceil_mode
    )
    return Layer(
        name=name,
        operator="Pool",
        loops={"B": n, "G": c, "OY": oy, "OX": ox, "FY": kernel[0], "FX": kernel[1]},
        stride=(strides[0], strides[1]),
        dilation=(dilations[0], dilations[1]),
        padding=(top, left, bottom, right),
        precision=pool_precision,
        costless=True,
        input_size=(h, width),
    )


def _costless_layer(g: _Graph, node: Any, name: str, precision: Precision) -> Layer:
    """An element-wise/layout op over its output tensor (N,C,H,W → B,G,OY,OX)."""
    shape = None
    for tensor in list(node.output) + list(node.input):
        shape = g.known_shape(tensor) if tensor else None
        if shape:
            break
    shape = [max(int(d), 1) for d in (shape or [1])]
    if len(shape) == 4:
        loops = {"B": shape[0], "G": shape[1], "OY": shape[2], "OX": shape[3]}
    else:
        loops = {"B": math.prod(shape[:-1]) if len(shape) > 1 else 1, "G": shape[-1]}
    activations = [t for t in node.input if t and t not in g.constants]
    two_activations = len(activations) >= 2
    return Layer(
        name=name,
        operator=node.op_type,
        loops=loops,
        precision=precision if two_activations else replace(precision, weight_bits=0),
        constant_operands=() if two_activations else ("W",),
        costless=True,
    )


def _convert_node(g: _Graph, node: Any, name: str, precision: Precision) -> Layer | None:
    """The layer of one non-constant node, or None when the op is not supported."""
    op = node.op_type
    if op in CONV_OPS:
        return _conv_layer(g, node, name, precision)
    if op == "Gemm":
        return _gemm_layer(g, node, name, precision)
    if op in MATMUL_OPS:
        return _matmul_layer(g, node, name, precision)
    if op in POOL_OPS or op in GLOBAL_POOL_OPS:
        return _pool_layer(g, node, name, precision)
    if op in COSTLESS_OPS:
        return _costless_layer(g, node, name, precision)
    return None


def workload_from_onnx_model(
    model: Any,
    source: str,
    name: str | None = None,
    precision: Precision | None = None,
    suite: str | None = None,
    period_s: float | None = None,
) -> Workload:
    """Convert an in-memory ``onnx.ModelProto`` (shape inference is run here)."""
    import onnx

    precision = precision or Precision()
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception as exc:  # onnx raises several unrelated types here
        raise InputError(
            f"ONNX shape inference failed: {exc}".splitlines()[0],
            source=source,
            field="graph",
            allowed="a valid ONNX graph with consistent tensor shapes",
        ) from None
    if not model.graph.node:
        raise InputError(
            "the ONNX graph has no nodes", source=source, field="graph", allowed="a non-empty graph"
        )
    g = _Graph(model, source)
    layers: list[Layer] = []
    unsupported: Counter[str] = Counter()
    # tensor name -> the layers producing it (one layer; for an unsupported node's outputs,
    # that node's own producers, so that the graph stays connected through it)
    producers: dict[str, tuple[str, ...]] = {}
    for index, node in enumerate(model.graph.node):
        op = node.op_type
        node_name = node.name or f"{op}_{index}"
        domain = node.domain or ""
        inputs = [t for t in node.input if t]
        if domain not in ("", "ai.onnx"):
            unsupported[f"{domain}.{op}"] += 1
            continue
        if op in CONSTANT_OPS or (inputs and all(t in g.constants for t in inputs)):
            g.constants.update(node.output)  # folded into the constants it produces
            continue
        try:
            layer = _convert_node(g, node, node_name, precision)
        except InputError:
            raise
        except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
            raise InputError(
                f"cannot interpret the node ({type(exc).__name__}: {exc})".splitlines()[0],
                source=source,
                field=f"node {node_name!r} ({op})",
                allowed="inputs and attributes as the ONNX operator definition requires",
            ) from None
        srcs: list[str] = []
        for tensor in inputs:
            srcs += [s for s in producers.get(tensor, ()) if s not in srcs]
        if layer is None:
            unsupported[op] += 1
            for tensor in node.output:
                producers[tensor] = tuple(srcs)
        else:
            layers.append(replace(layer, inputs=tuple(srcs)))
            for tensor in node.output:
                producers[tensor] = (layer.name,)
    return Workload(
        name=name_from_source(source) if name is None else name,
        layers=tuple(layers),
        suite=suite,
        period_s=period_s,
        source=source,
        unsupported=tuple(f"{op} x{n}" for op, n in sorted(unsupported.items())),
    )


def name_from_source(source: str) -> str:
    """Workload name from a file path: the file name without its suffix."""
    return Path(source).stem


def load_onnx_workload(
    path: str | Path,
    name: str | None = None,
    precision: Precision | None = None,
    suite: str | None = None,
    period_s: float | None = None,
) -> Workload:
    """Read an ``.onnx`` file (external weight data is not needed and not loaded)."""
    import onnx

    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputError(
            "file not found", source=source, field="path", allowed="an existing .onnx file"
        )
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf DecodeError, OSError, ValueError, ...
        raise InputError(
            f"not a readable ONNX model ({type(exc).__name__}: {exc})".splitlines()[0],
            source=source,
            field="file",
            allowed="a serialized ONNX ModelProto",
        ) from None
    if not model.HasField("graph"):
        raise InputError(
            "the file holds no ONNX graph",
            source=source,
            field="graph",
            allowed="a serialized ONNX ModelProto",
        )
    return workload_from_onnx_model(model, source, name, precision, suite, period_s)
