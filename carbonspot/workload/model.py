"""Workload model: a DNN layer as a loop nest, and a workload as an ordered list of layers.

Every compute layer is one einsum over the eight loop dimensions ``B K G C OY OX FY FX``
(zigzag-model.md §3)::

    O[b][g][k][oy][ox] += W[g][k][c][fy][fx] * I[b][g][c][iy][ix]
    iy = sy*oy + dy*fy,  ix = sx*ox + dx*fx

Conv (grouped, depthwise, pointwise), Gemm/Dense, MatMul (constant or activation second
operand) and pooling all fit this form; element-wise layers are listed with ``costless=True``.
Gemm/MatMul map their rows to ``B``, output features to ``K`` and the reduction to ``C``;
attention heads go to ``G``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

LOOP_DIMS: tuple[str, ...] = ("B", "K", "G", "C", "OY", "OX", "FY", "FX")
OPERANDS: tuple[str, ...] = ("I", "W", "O")

# Loops each operand is indexed by (its "relevant" loops). The input's OY/OX/FY/FX are
# partially relevant through iy/ix and handled by ``pr_size``.
RELEVANT: dict[str, frozenset[str]] = {
    "W": frozenset({"G", "K", "C", "FY", "FX"}),
    "O": frozenset({"B", "G", "K", "OY", "OX"}),
    "I": frozenset({"B", "G", "C"}),
}
# Partially-relevant pairs of the input: (output loop, filter loop) per spatial axis.
PR_PAIRS: dict[str, tuple[str, str]] = {"IY": ("OY", "FY"), "IX": ("OX", "FX")}
PR_OF_LOOP: dict[str, str] = {"OY": "IY", "FY": "IY", "OX": "IX", "FX": "IX"}

COMPUTE_OPERATORS = ("Conv", "Gemm", "MatMul", "Pool")


@dataclass(frozen=True)
class Precision:
    """Operand precisions in bits (zigzag-model.md §2.2: W, I, O partial sum, O_final)."""

    input_bits: int = 8
    weight_bits: int = 8
    psum_bits: int = 16
    output_bits: int = 8

    def of(self, operand: str, final: bool = True) -> int:
        """Bits per element of ``operand``; outputs use the partial-sum width unless final."""
        if operand == "I":
            return self.input_bits
        if operand == "W":
            return self.weight_bits
        if operand == "O":
            return self.output_bits if final else self.psum_bits
        raise KeyError(operand)


def pr_extent(a: int, b: int, sa: int, sb: int) -> int:
    """Distinct values of ``sa*x + sb*y`` for x < a, y < b (zigzag-model.md §3.2)."""
    g = math.gcd(sa, sb)
    return a * b - max(0, b - sa // g) * max(0, a - sb // g)


@dataclass(frozen=True)
class Layer:
    """One layer: loop sizes, strides, padding, precisions and operand roles.

    ``loops`` always holds all eight ``LOOP_DIMS`` (missing ones are 1). ``stride``,
    ``dilation`` are ``(y, x)``; ``padding`` is ``(top, left, bottom, right)`` as in ONNX.
    ``constant_operands`` names the operands stored as parameters (normally ``("W",)``; empty
    for activation x activation MatMul). ``costless`` marks layers listed but not costed.
    """

    name: str
    operator: str
    loops: dict[str, int]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    precision: Precision = field(default_factory=Precision)
    constant_operands: tuple[str, ...] = ("W",)
    costless: bool = False
    # names of the layers producing this layer's activation input(s), in order; None when the
    # loader did not record the graph (then layers are taken as a chain). Not part of ``key``:
    # it changes which memories hold the activations (carbonspot-model.md §9.5), not the shape.
    inputs: tuple[str, ...] | None = None
    # real input rows and columns (IY, IX) when the source knows them (ONNX shapes, the zoo,
    # ZigZag's pr_loop_sizes); None: taken as the window extent minus both paddings
    input_size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        full = {d: int(self.loops.get(d, 1)) for d in LOOP_DIMS}
        unknown = set(self.loops) - set(LOOP_DIMS)
        if unknown:
            raise ValueError(f"unknown loop dimension(s) {sorted(unknown)}")
        if any(v < 1 for v in full.values()):
            raise ValueError("loop sizes must be >= 1")
        object.__setattr__(self, "loops", full)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layer) and self.name == other.name and self.key == other.key

    @cached_property
    def key(self) -> tuple:
        """Shape key (everything but the name): equal keys cost the same on any hardware."""
        return (
            self.operator,
            tuple(self.loops[d] for d in LOOP_DIMS),
            self.stride,
            self.dilation,
            self.padding,
            self.precision,
            self.constant_operands,
            self.costless,
            self.input_size,
        )

    @property
    def macs(self) -> int:
        """Multiply-accumulate count: the product of all loop sizes."""
        return math.prod(self.loops.values())

    def relevant(self, operand: str) -> frozenset[str]:
        """Loops that index ``operand`` fully (partially-relevant input loops excluded)."""
        return RELEVANT[operand]

    def irrelevant(self, operand: str) -> frozenset[str]:
        """Loops that do not index ``operand`` at all (reuse loops)."""
        rel = RELEVANT[operand]
        pr = set(PR_OF_LOOP) if operand == "I" else set()
        return frozenset(d for d in LOOP_DIMS if d not in rel and d not in pr)

    @property
    def input_extent(self) -> tuple[int, int]:
        """Input rows and columns actually read (IY, IX), padding removed.

        The window covers rows ``-top ... extent - top - 1``; the real rows among them are
        ``min(IY_real, extent - top)``. A strided conv need not reach its bottom padding (a
        3x3, stride-2, pad-1 conv with 28 output rows reads all 56 rows of a 56-row input,
        not 57 - 2 = 55), so with ``input_size`` known the real size clips the window; ZigZag
        does the same with ``pr_loop_sizes``. Without it, both paddings are subtracted.
        """
        sy, sx = self.stride
        dy, dx = self.dilation
        top, left, bottom, right = self.padding
        iy = pr_extent(self.loops["OY"], self.loops["FY"], sy, dy) - top
        ix = pr_extent(self.loops["OX"], self.loops["FX"], sx, dx) - left
        if self.input_size is None:
            iy, ix = iy - bottom, ix - right
        else:
            iy, ix = min(iy, self.input_size[0]), min(ix, self.input_size[1])
        return max(1, iy), max(1, ix)

    def tile_elements(self, operand: str, tile: dict[str, int]) -> int:
        """Elements of ``operand`` touched by a tile of loop sizes (missing loops = 1).

        The input's spatial extent uses the partially-relevant formula, clipped to the
        layer's input size, as ZigZag does (zigzag-model.md §3.2).
        """
        size = 1
        for d in RELEVANT[operand]:
            size *= tile.get(d, 1)
        if operand == "I":
            sy, sx = self.stride
            dy, dx = self.dilation
            iy_max, ix_max = self.input_extent
            size *= min(iy_max, pr_extent(tile.get("OY", 1), tile.get("FY", 1), sy, dy))
            size *= min(ix_max, pr_extent(tile.get("OX", 1), tile.get("FX", 1), sx, dx))
        return size

    def operand_elements(self, operand: str) -> int:
        """Elements of the whole operand tensor."""
        return self.tile_elements(operand, self.loops)

    def operand_bits(self, operand: str) -> int:
        """Bits of the whole operand tensor (outputs at their final precision)."""
        return self.operand_elements(operand) * self.precision.of(operand, final=True)


@dataclass(frozen=True)
class Workload:
    """An ordered list of layers with suite metadata.

    ``period_s`` is the frame period the application requires (1 / FPS); ``None`` when
    unknown. ``ops`` counts 2 per MAC of the costed layers.
    """

    name: str
    layers: tuple[Layer, ...]
    suite: str | None = None
    period_s: float | None = None
    source: str | None = None
    unsupported: tuple[str, ...] = ()

    @property
    def compute_layers(self) -> tuple[Layer, ...]:
        """Layers that carry a cost (element-wise and other costless layers removed)."""
        return tuple(layer for layer in self.layers if not layer.costless)

    @property
    def total_macs(self) -> int:
        """MACs of all costed layers."""
        return sum(layer.macs for layer in self.compute_layers)

    @property
    def ops(self) -> int:
        """Operations per inference, 2 per MAC."""
        return 2 * self.total_macs

    @property
    def fps(self) -> float | None:
        """Required frame rate (1 / ``period_s``), ``None`` when unknown."""
        return None if not self.period_s else 1.0 / self.period_s

    def unique_layers(self) -> tuple[tuple[Layer, int], ...]:
        """Distinct costed layer shapes (by ``Layer.key``) with how often each occurs.

        In order of first appearance; costing each once and weighting by the count gives
        the workload total (e.g. MobileBERT's 410 costed layers have 7 distinct shapes).
        """
        counts: dict[tuple, list] = {}
        for layer in self.compute_layers:
            entry = counts.setdefault(layer.key, [layer, 0])
            entry[1] += 1
        return tuple((layer, n) for layer, n in counts.values())

    @property
    def weight_bytes(self) -> int:
        """Bytes of constant weights over all costed layers."""
        bits = sum(
            layer.operand_bits("W")
            for layer in self.compute_layers
            if "W" in layer.constant_operands
        )
        return bits // 8
