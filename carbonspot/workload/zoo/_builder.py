"""A small shape-tracking builder used to write the built-in networks as code.

It follows one activation tensor ``(C, H, W)`` through a network and emits :class:`Layer`
objects with the loop sizes, strides and paddings the corresponding ONNX/TFLite model has.
Padding is either ``"same"`` (TensorFlow SAME: output = ceil(in / stride), the odd pixel of
padding at the bottom/right), ``"valid"`` or explicit ``(top, left, bottom, right)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from carbonspot.workload.model import Layer, Precision, Workload

Shape = tuple[int, int, int]  # channels, height, width
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
        )
        self.layers.append(layer)
        self.shape = (out_channels, oy, ox)
        return layer

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
        )
        self.layers.append(layer)
        self.shape = (c, oy, ox)
        return layer

    def add(self, name: str) -> Layer:
        """Element-wise sum of two activations of the current shape (residual), costless."""
        c, h, w = self.shape
        layer = Layer(
            name=name,
            operator="Add",
            loops={"B": self.batch, "G": c, "OY": h, "OX": w},
            constant_operands=(),
            costless=True,
        )
        self.layers.append(layer)
        return layer

    def gemm(self, name: str, out_features: int, rows: int | None = None) -> Layer:
        """Dense layer on the flattened current tensor (or ``rows`` x C when given)."""
        c, h, w = self.shape
        features = c * h * w if rows is None else c
        layer = Layer(
            name=name,
            operator="Gemm",
            loops={"B": self.batch * (rows or 1), "K": out_features, "C": features},
        )
        self.layers.append(layer)
        self.shape = (out_features, 1, 1)
        return layer

    def matmul(
        self,
        name: str,
        rows: int,
        reduction: int,
        out_features: int,
        heads: int = 1,
        constant: bool = True,
    ) -> Layer:
        """MatMul ``[heads] rows x reduction @ reduction x out``; ``constant=False`` for act x act."""
        layer = Layer(
            name=name,
            operator="MatMul",
            loops={"B": self.batch * rows, "K": out_features, "C": reduction, "G": heads},
            constant_operands=("W",) if constant else (),
        )
        self.layers.append(layer)
        return layer

    def workload(self, name: str, suite: str | None, fps: float | None, source: str) -> Workload:
        """Freeze the emitted layers into a :class:`Workload` with its frame period."""
        return Workload(
            name=name,
            layers=tuple(self.layers),
            suite=suite,
            period_s=None if fps is None else 1.0 / fps,
            source=source,
        )
