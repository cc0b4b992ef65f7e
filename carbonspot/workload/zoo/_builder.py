"""A small shape-tracking builder used to write the built-in networks as code.

It follows one activation tensor ``(C, H, W)`` through a network and emits :class:`Layer`
objects with the loop sizes, strides and paddings the corresponding ONNX/TFLite model has.
Every layer records its producers (``Layer.inputs``): by default the layer that produced the
current tensor; branches are written with :meth:`NetBuilder.mark` / :meth:`NetBuilder.at`, and
joins (``add``, ``concat``, activation x activation ``matmul``) name their other producers.
Padding is either ``"same"`` (TensorFlow SAME: output = ceil(in / stride), the odd pixel of
padding at the bottom/right), ``"valid"`` or explicit ``(top, left, bottom, right)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from carbonspot.workload.model import Layer, Precision, Workload

Shape = tuple[int, int, int]  # channels, height, width
# A point in the graph: the layer producing a tensor (None: the network input) and its shape.
Tap = tuple[str | None, Shape]
POOL_PRECISION = Precision(weight_bits=0)  # pooling as a depthwise loop nest, zero-cost W


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int, int]:
    """TensorFlow SAME padding along one axis: (output size, pad before, pad after)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return out, total // 2, total - total // 2


@dataclass
class NetBuilder:
    """Emit layers while tracking the current activation shape ``(C, H, W)``."""

    shape: Shape
    batch: int = 1
    layers: list[Layer] = field(default_factory=list)
    tensor: str | None = None  # producer of the current tensor (None: the network input)

    def mark(self) -> Tap:
        """The current tensor, to branch from it later with :meth:`at`."""
        return (self.tensor, self.shape)

    def at(self, tap: Tap) -> None:
        """Continue from an earlier tensor (start of another branch)."""
        self.tensor, self.shape = tap

    def _from(self, inputs: tuple[str | None, ...] | None) -> tuple[str, ...]:
        """Producers of a new layer: ``inputs`` when given, else the current tensor's."""
        srcs = (self.tensor,) if inputs is None else inputs
        return tuple(dict.fromkeys(s for s in srcs if s is not None))

    def _emit(self, layer: Layer) -> Layer:
        self.layers.append(layer)
        self.tensor = layer.name
        return layer

    def _spatial(
        self,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        padding: str | int | tuple[int, int, int, int],
    ) -> tuple[int, int, tuple[int, int, int, int]]:
        _, h, w = self.shape
        if padding == "same":
            oy, top, bottom = same_padding(h, kernel[0], stride[0], dilation[0])
            ox, left, right = same_padding(w, kernel[1], stride[1], dilation[1])
            return oy, ox, (top, left, bottom, right)
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif isinstance(padding, int):
            pads = (padding,) * 4
        else:
            pads = tuple(int(p) for p in padding)
        top, left, bottom, right = pads
        oy = (h + top + bottom - (kernel[0] - 1) * dilation[0] - 1) // stride[0] + 1
        ox = (w + left + right - (kernel[1] - 1) * dilation[1] - 1) // stride[1] + 1
        return oy, ox, pads  # type: ignore[return-value]

    def conv(
        self,
        name: str,
        out_channels: int,
        kernel: int | tuple[int, int] = 1,
        stride: int | tuple[int, int] = 1,
        groups: int = 1,
        padding: str | int | tuple[int, int, int, int] = "same",
        dilation: int | tuple[int, int] = 1,
    ) -> Layer:
        """Conv (grouped when ``groups > 1``); kernel and stride are (height, width)."""
        c_in = self.shape[0]
        k, s, d = _pair(kernel), _pair(stride), _pair(dilation)
        oy, ox, pads = self._spatial(k, s, d, padding)
        layer = Layer(
            name=name,
            operator="Conv",
            loops={
                "B": self.batch,
                "K": out_channels // groups,
                "G": groups,
                "C": c_in // groups,
                "OY": oy,
                "OX": ox,
                "FY": k[0],
                "FX": k[1],
            },
            stride=s,
            dilation=d,
            padding=pads,
            inputs=self._from(None),
            input_size=self.shape[1:],
        )
        self.shape = (out_channels, oy, ox)
        return self._emit(layer)

    def dw(
        self,
        name: str,
        kernel: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int, int, int] = "same",
        dilation: int | tuple[int, int] = 1,
    ) -> Layer:
        """Depthwise conv: G = channels, K = C = 1."""
        c = self.shape[0]
        return self.conv(name, c, kernel, stride, groups=c, padding=padding, dilation=dilation)

    def pw(self, name: str, out_channels: int) -> Layer:
        """Pointwise (1x1) conv."""
        return self.conv(name, out_channels, 1, 1, padding="valid")

    def pool(
        self,
        name: str,
        kernel: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] | None = None,
        padding: str | int | tuple[int, int, int, int] = "valid",
    ) -> Layer:
        """Pooling as a costless depthwise loop nest; ``kernel=None`` is global pooling."""
        c, h, w = self.shape
        if kernel is None:  # global pooling over the whole feature map
            k, s = (h, w), (1, 1)
        else:
            k = _pair(kernel)
            s = _pair(stride if stride is not None else kernel)
        oy, ox, pads = self._spatial(k, s, (1, 1), padding)
        layer = Layer(
            name=name,
            operator="Pool",
            loops={"B": self.batch, "G": c, "OY": oy, "OX": ox, "FY": k[0], "FX": k[1]},
            stride=s,
            padding=pads,
            precision=POOL_PRECISION,
            costless=True,
            inputs=self._from(None),
            input_size=(h, w),
        )
        self.shape = (c, oy, ox)
        return self._emit(layer)

    def add(self, name: str, other: str | None) -> Layer:
        """Element-wise sum of the current tensor and ``other``'s (a residual), costless."""
        return self.elementwise(name, "Add", (self.tensor, other))

    def elementwise(
        self, name: str, operator: str, inputs: tuple[str | None, ...] | None = None
    ) -> Layer:
        """A costless operator over the current tensor (norm, activation, softmax, gather, ...).

        Listed so that the layer table shows it and the graph passes through it; it moves
        data but costs no MACs in this model.
        """
        c, h, w = self.shape
        return self._emit(self._costless(name, operator, (c, h, w), inputs))

    def _costless(
        self, name: str, operator: str, shape: Shape, inputs: tuple[str | None, ...] | None
    ) -> Layer:
        """A costless layer over a ``(C, H, W)`` tensor: no weights, no MACs costed."""
        c, h, w = shape
        return Layer(
            name=name,
            operator=operator,
            loops={"B": self.batch, "G": c, "OY": h, "OX": w},
            constant_operands=(),
            costless=True,
            inputs=self._from(inputs),
        )

    def concat(self, name: str, parts: list[Tap], spatial: tuple[int, int] | None = None) -> Layer:
        """Channel concatenation of ``parts`` (costless); ``spatial`` = (H, W) after resizing.

        Bilinear resizes before a concat are costless too and not written as layers: the
        concat names the resized tensors' producers directly.
        """
        h, w = spatial if spatial is not None else parts[0][1][1:]
        c = sum(shape[0] for _, shape in parts)
        layer = self._costless(name, "Concat", (c, h, w), tuple(src for src, _ in parts))
        self.shape = (c, h, w)
        return self._emit(layer)

    def gemm(self, name: str, out_features: int, rows: int | None = None) -> Layer:
        """Dense layer on the flattened current tensor (or ``rows`` x C when given)."""
        c, h, w = self.shape
        features = c * h * w if rows is None else c
        layer = Layer(
            name=name,
            operator="Gemm",
            loops={"B": self.batch * (rows or 1), "K": out_features, "C": features},
            inputs=self._from(None),
        )
        self.shape = (out_features, 1, 1)
        return self._emit(layer)

    def matmul(
        self,
        name: str,
        rows: int,
        reduction: int,
        out_features: int,
        heads: int = 1,
        constant: bool = True,
        inputs: tuple[str | None, ...] | None = None,
    ) -> Layer:
        """MatMul ``[heads] rows x reduction @ reduction x out``; ``constant=False`` for act x act.

        ``inputs`` names the producers (both operands of an act x act MatMul); the default is
        the current tensor. The current shape becomes ``(heads * out, rows, 1)``: features x
        tokens, so that residual adds over token sequences use :meth:`add` as for images.
        """
        layer = Layer(
            name=name,
            operator="MatMul",
            loops={"B": self.batch * rows, "K": out_features, "C": reduction, "G": heads},
            constant_operands=("W",) if constant else (),
            inputs=self._from(inputs),
        )
        self.shape = (heads * out_features, rows, 1)
        return self._emit(layer)

    def workload(self, name: str, suite: str | None, fps: float | None, source: str) -> Workload:
        """Freeze the emitted layers into a :class:`Workload` with its frame period."""
        return Workload(
            name=name,
            layers=tuple(self.layers),
            suite=suite,
            period_s=None if fps is None else 1.0 / fps,
            source=source,
        )
