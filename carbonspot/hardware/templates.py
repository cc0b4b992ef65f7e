"""The paper's accelerator templates by name: ``pdigital_ws``, ``pdigital_os``, ``aimc``, ``dimc``.

Each builds the hierarchy of carbonspot-model.md §3.3 (expr.py:1198-1791):

* an array of D1 × D2 × D3 units (D1 = output channels / wordline, D2 = reduction /
  bitline, D3 = macros or array copies);
* innermost registers (digital) or register files + the IMC cell group;
* one on-chip SRAM of ``sram_bytes`` with a word of ``bw = max(D2·P_in, D1·(P_in+P_w))·D3``
  bits (16·d in the sweep) and granularity ``bw//16`` ("16 sub-banks"), costs from the
  CACTI-derived table (:mod:`carbonspot.hardware.memory`);
* a DRAM of ``dram_gb`` GB, word ``P_in·D1·D3`` bits (8·d), 3.7 pJ/bit, area 0.

Weights: the original sets ``enable_weight_dram_removal = sram_bytes > workload weight
bytes``. When true, the SRAM also holds W and the DRAM does not (weights never leave the
chip); otherwise W streams from DRAM straight into the weight registers / IMC cells.
``pdigital_os`` always keeps W in both. Templates take ``workload_weight_bytes``; ``None``
(no workload known) means "weights do not fit", the original's behaviour for large nets.
Both presets apply the same rule; it never changes area or clock.

Memory order (bottom-up) is the original's: for ``pdigital_os`` the output register is
added first; for the weight-stationary templates the weight register / cell group first.
Models only: parameter checks raise :class:`InputError`; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from carbonspot.errors import InputError
from carbonspot.hardware import digital, imc
from carbonspot.hardware.memory import (
    REFERENCE_NODE_NM,
    REFERENCE_VDD_V,
    dram_access_pj,
    dram_types,
    imc_weight_write_pj,
    register_cost,
    sram_cost,
    sram_table,
)
from carbonspot.hardware.model import (
    Accelerator,
    DigitalArray,
    ImcArray,
    MemoryLevel,
    Port,
    Technology,
)
from carbonspot.presets import Preset, get_preset

TEMPLATE_NAMES: tuple[str, ...] = ("pdigital_ws", "pdigital_os", "aimc", "dimc")
SRAM_SUB_BANKS = 16  # min granularity = bw // 16 (carbonspot-model.md §3.3)
MIN_SRAM_ROWS = 32  # the original skips designs with fewer rows (cacti_sanity_check, §3.2)
DIM_RANGE = (1, 65536)
NODE_RANGE_NM = (3.0, 180.0)

# Named dataflows: spatial-unrolling hints per array dimension (the layer loops the mapper may
# unroll there). ws and os are the paper's pdigital_ws and pdigital_os (carbonspot-model.md
# §3.2); is keeps inputs stationary: input channels on D1, output pixels on D2.
DATAFLOWS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "ws": MappingProxyType({"D1": ("K", "OX", "OY"), "D2": ("C", "FX", "FY")}),
        "os": MappingProxyType({"D1": ("K",), "D2": ("OX", "OY")}),
        "is": MappingProxyType({"D1": ("C", "FX", "FY"), "D2": ("OX", "OY")}),
    }
)
# Each template's dataflow when none is given (IMC macros: weights stay in the cells).
TEMPLATE_DATAFLOW: Mapping[str, str] = MappingProxyType(
    {"pdigital_ws": "ws", "pdigital_os": "os", "aimc": "ws", "dimc": "ws"}
)
_DIGITAL = ("pdigital_ws", "pdigital_os")


def scaled_technology(
    node_nm: float = REFERENCE_NODE_NM, vdd_v: float = REFERENCE_VDD_V
) -> Technology:
    """Gate constants at ``node_nm`` from the 28 nm set (§4.1): C ∝ node, area ∝ node², delay ∝ node.

    First-order (constant-field) scaling; the 28 nm values are returned unchanged.
    """
    base = Technology()
    s = node_nm / REFERENCE_NODE_NM
    return Technology(
        node_nm=node_nm,
        vdd_v=vdd_v,
        nd2_cap_pf=base.nd2_cap_pf * s,
        xor2_cap_pf=base.xor2_cap_pf * s,
        dff_cap_pf=base.dff_cap_pf * s,
        nd2_area_mm2=base.nd2_area_mm2 * s**2,
        xor2_area_mm2=base.xor2_area_mm2 * s**2,
        dff_area_mm2=base.dff_area_mm2 * s**2,
        nd2_delay_ns=base.nd2_delay_ns * s,
        xor2_delay_ns=base.xor2_delay_ns * s,
    )


# --------------------------------------------------------------------------------------------
# parameters


def _num_text(x: float) -> str:
    """A bound in words: whole numbers in full (1048576, not 1.04858e+06)."""
    return str(int(x)) if math.isfinite(x) and float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Range:
    """Allowed values of a parameter: ``low..high``, optionally powers of two only.

    ``low`` is excluded when ``low_open``; values are always finite. ``unit`` and ``why`` only
    go into :meth:`text`, the words every error and the docs use.
    """

    low: float
    high: float = math.inf
    pow2: bool = False
    low_open: bool = False
    unit: str = ""
    why: str = ""

    def accepts(self, value: float) -> bool:
        """True when ``value`` is in the range (and a power of two if it must be)."""
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        if not (above and value <= self.high):
            return False
        return not self.pow2 or (float(value).is_integer() and _is_pow2(int(value)))

    def text(self, kind: type) -> str:
        """The range in words, e.g. ``integers 1..65536`` or ``a positive number of GB``."""
        unit = f" {self.unit}" if self.unit else ""
        low, high = _num_text(self.low), _num_text(self.high)
        if self.pow2:
            words = f"powers of two {low}..{high}"
        elif self.low_open and self.low == 0 and self.high == math.inf:
            words = f"a positive number of{unit}" if unit else "a positive number"
        elif self.high == math.inf:
            words = f"integers >= {low}" if kind is int else f">= {low}{unit}"
        elif kind is int:
            words = f"integers {low}..{high}"
        else:
            words = f"{low}..{high}{unit}"
        return f"{words} ({self.why})" if self.why else words


@dataclass(frozen=True)
class TemplateParam:
    """One template parameter: type, default, allowed values and the templates that take it.

    ``allowed`` is the range on every template of ``templates`` except those named in
    ``allowed_on`` (``((templates, range), ...)``, e.g. powers of two where an adder tree or a
    bitline needs them). A range of ``None`` means the allowed values depend on other
    parameters; ``rule`` says how (checked in :func:`resolve_params`). A ``default`` of ``None``
    is derived from the other parameters as ``derived`` says.
    """

    name: str
    kind: type  # int, float or str
    default: int | float | str | None
    doc: str
    templates: tuple[str, ...] = TEMPLATE_NAMES
    allowed: Range | None = None
    allowed_on: tuple[tuple[tuple[str, ...], Range | None], ...] = ()
    rule: str = ""
    derived: str = ""
    choices: tuple[str, ...] = ()  # the names a ``str`` parameter takes
    unused_on: tuple[str, ...] = ()  # templates that accept the parameter but ignore it
    unit: str = ""  # of the value, for the docs' table (e.g. "bytes", "GB/s")

    def range_on(self, template: str) -> Range | None:
        """The range checked on ``template`` (``None``: the rule in :attr:`rule` or the choices)."""
        for names, rng in self.allowed_on:
            if template in names:
                return rng
        return self.allowed

    def allowed_text(self, template: str | None = None) -> str:
        """Allowed values in words, on ``template`` or on every template that takes it."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if template is not None:
            rng = self.range_on(template)
            return rng.text(self.kind) if rng is not None else self.rule
        by_text: dict[str, list[str]] = {}
        for t in self.templates:
            by_text.setdefault(self.allowed_text(t), []).append(t)
        if len(by_text) == 1:
            return next(iter(by_text))
        return "; ".join(f"{text} on {', '.join(ts)}" for text, ts in by_text.items())

    @property
    def default_text(self) -> str:
        """The default in words: the value, or how it is derived."""
        if self.default is None:
            return self.derived
        if isinstance(self.default, str):
            return self.default
        short = f"{self.default:g}"
        return short if float(short) == self.default else repr(self.default)


_DIM = Range(*DIM_RANGE)
_BITS = Range(1, 32)
_IMC_TEMPLATES = ("aimc", "dimc")
_ADDER_TREE = ("pdigital_ws", "aimc", "dimc")  # D2 reduces in an adder tree / along a bitline

# Every template parameter, once: the loaders (sweep and study files, template specs), the
# checks of resolve_params, ``carbonspot hardware templates`` and the docs' table read it.
TEMPLATE_PARAMETERS: tuple[TemplateParam, ...] = (
    TemplateParam("dim", int, 128, "D1 = D2 (array or macro side)", allowed=_DIM),
    TemplateParam(
        "d1",
        int,
        None,
        "D1 (output channels / wordline); overrides dim",
        allowed=_DIM,
        derived="dim",
    ),
    TemplateParam(
        "d2",
        int,
        None,
        "D2 (reduction / bitline); overrides dim",
        allowed=_DIM,
        allowed_on=((_ADDER_TREE, Range(2, DIM_RANGE[1], pow2=True, why="adder tree / bitline")),),
        derived="dim",
    ),
    TemplateParam("macros", int, 1, "D3 (number of macros / array copies)", allowed=_DIM),
    TemplateParam(
        "sram_bytes",
        int,
        131072,
        "on-chip SRAM capacity in bytes",
        rule=f"at least {MIN_SRAM_ROWS} rows of the SRAM word, at most the largest SRAM of the "
        "CACTI table (both depend on the array)",
    ),
    TemplateParam(
        "dram_gb",
        float,
        1 / 1024,
        "DRAM capacity in GB",
        allowed=Range(0, low_open=True, unit="GB"),
    ),
    TemplateParam(
        "input_bits",
        int,
        8,
        "activation precision",
        allowed=_BITS,
        allowed_on=((_IMC_TEMPLATES, Range(1, 32, pow2=True)),),
    ),
    TemplateParam(
        "weight_bits",
        int,
        8,
        "weight precision",
        allowed=_BITS,
        allowed_on=((_IMC_TEMPLATES, Range(1, 32, pow2=True)),),
    ),
    TemplateParam(
        "node_nm",
        float,
        REFERENCE_NODE_NM,
        "technology node in nm",
        allowed=Range(*NODE_RANGE_NM, unit="nm"),
    ),
    TemplateParam(
        "vdd_v", float, REFERENCE_VDD_V, "supply voltage in V", allowed=Range(0.3, 2.0, unit="V")
    ),
    TemplateParam(
        "input_bits_per_cycle",
        int,
        None,
        "input bits per cycle (DAC bits)",
        templates=_IMC_TEMPLATES,
        rule="powers of two 1..input_bits",
        derived="min(2, input_bits) on aimc, 1 on dimc",
    ),
    TemplateParam(
        "adc_bits",
        float,
        None,
        "ADC resolution (AIMC; DIMC has no ADC)",
        templates=_IMC_TEMPLATES,
        allowed_on=((("aimc",), Range(1, 16, unit="bits")),),
        rule="any number (unused)",
        derived="input_bits_per_cycle + 0.5·floor(log2 d2)",
        unused_on=("dimc",),
    ),
    TemplateParam(
        "group_depth",
        int,
        1,
        "weights per cell group",
        templates=_IMC_TEMPLATES,
        allowed=Range(1),
    ),
    # --- the memory system and the dataflow (issue: search the spaces architects explore) ---
    TemplateParam(
        "dataflow",
        str,
        None,
        "spatial unrolling per array dimension (DATAFLOWS): ws = K,OX,OY on D1 and C,FX,FY "
        "on D2; os = K on D1, OX,OY on D2; is = C,FX,FY on D1, OX,OY on D2",
        templates=_DIGITAL,
        choices=tuple(DATAFLOWS),
        derived="ws on pdigital_ws, os on pdigital_os",
    ),
    TemplateParam(
        "sram_w_bytes",
        int,
        None,
        "weight buffer in bytes: with sram_act_bytes, splits the SRAM into a weight and an "
        "activation buffer (replacing sram_bytes)",
        allowed=Range(1, unit="bytes"),
        derived="none (one shared SRAM of sram_bytes)",
        unit="bytes",
    ),
    TemplateParam(
        "sram_act_bytes",
        int,
        None,
        "activation (I and O) buffer in bytes, with sram_w_bytes",
        allowed=Range(1, unit="bytes"),
        derived="none (one shared SRAM of sram_bytes)",
        unit="bytes",
    ),
    TemplateParam(
        "sram_bw_bits",
        int,
        None,
        "SRAM word (read and write bandwidth) in bits per cycle, of every on-chip SRAM",
        allowed=Range(8, 2**20, unit="bits"),
        derived="max(D2·P_in, D1·(P_in+P_w))·D3",
        unit="bits/cycle",
    ),
    TemplateParam(
        "l2_bytes",
        int,
        0,
        "second on-chip SRAM level between the SRAM and the DRAM (I, W and O; 0 = none)",
        allowed=Range(0, unit="bytes"),
        unit="bytes",
    ),
    TemplateParam(
        "rf_i_words",
        int,
        1,
        "input register file per PE / macro row, in words of input_bits",
        allowed=Range(1, 4096),
        unit="words",
    ),
    TemplateParam(
        "rf_o_words",
        int,
        1,
        "output register file per PE / macro column, in words of input_bits + weight_bits",
        allowed=Range(1, 4096),
        unit="words",
    ),
    TemplateParam(
        "rf_w_words",
        int,
        1,
        "weight register file per PE, in words of weight_bits (IMC: group_depth)",
        templates=_DIGITAL,
        allowed=Range(1, 4096),
        unit="words",
    ),
    TemplateParam(
        "dram_type",
        str,
        "default",
        "DRAM technology: energy per bit, bandwidth and carbon per GB "
        "(carbonspot/data/dram_types.csv, each value with its source)",
        choices=tuple(dram_types()),
    ),
    TemplateParam(
        "dram_bw_gbps",
        float,
        None,
        "DRAM bandwidth in GB/s (converted to bits per cycle at the array's clock)",
        allowed=Range(0, low_open=True, unit="GB/s"),
        derived="dram_type's (default: a word of P_in·D1·D3 bits per cycle)",
        unit="GB/s",
    ),
    TemplateParam(
        "dram_pj_per_bit",
        float,
        None,
        "DRAM access energy in pJ per bit",
        allowed=Range(0, low_open=True, unit="pJ/bit"),
        derived="dram_type's (default: 3.7)",
        unit="pJ/bit",
    ),
)
# The same parameters by template (read-only views of TEMPLATE_PARAMETERS).
TEMPLATE_PARAMS: Mapping[str, Mapping[str, TemplateParam]] = MappingProxyType(
    {
        t: MappingProxyType({p.name: p for p in TEMPLATE_PARAMETERS if t in p.templates})
        for t in TEMPLATE_NAMES
    }
)
# Parameters derived from ``dim`` unless given: their errors name ``dim`` when not given.
_FROM_DIM = ("d1", "d2")


def _is_pow2(x: int) -> bool:
    return x >= 1 and (x & (x - 1)) == 0


def _coerce(name: str, field_name: str, value: Any, kind: type) -> Any:
    if kind is str:
        if not isinstance(value, str):
            raise InputError(
                f"{value!r} is not a name", source=name, field=field_name, allowed="a name"
            )
        return value.strip().lower()
    if isinstance(value, str):
        try:
            value = float(value) if kind is float else int(value, 0)
        except ValueError:
            try:
                f = float(value)
            except ValueError:
                f = math.nan
            if kind is int and f.is_integer():
                value = int(f)
            else:
                raise InputError(
                    f"{value!r} is not a{'n integer' if kind is int else ' number'}",
                    source=name,
                    field=field_name,
                    allowed="an integer" if kind is int else "a number",
                ) from None
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(
                f"{value!r} is not an integer", source=name, field=field_name, allowed="an integer"
            )
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"{value!r} is not a number", source=name, field=field_name, allowed="a number"
        )
    return kind(value)


def _range_error(name: str, field_name: str, value: Any, allowed: str) -> InputError:
    return InputError(f"{value!r} out of range", source=name, field=field_name, allowed=allowed)


def _check_range(
    name: str, p: TemplateParam, out: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """Raise the range error of ``p`` on template ``name`` if its value is outside the range."""
    rng, value = p.range_on(name), out[p.name]
    if p.choices and value is not None and value not in p.choices:
        raise _range_error(name, p.name, value, p.allowed_text())
    if rng is None or value is None or p.choices or rng.accepts(value):
        return
    field_name = "dim" if p.name in _FROM_DIM and p.name not in given else p.name
    raise _range_error(name, field_name, value, rng.text(p.kind))


def resolve_params(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check and complete a template's parameters (types, ranges, defaults).

    Raises :class:`InputError` naming the parameter and its allowed values.
    """
    if name not in TEMPLATE_PARAMS:
        raise InputError(f"unknown template {name!r}", field="template", allowed=TEMPLATE_NAMES)
    spec = TEMPLATE_PARAMS[name]
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in spec:
            raise InputError(
                f"unknown parameter {key!r}", source=name, field=key, allowed=sorted(spec)
            )
        out[key] = _coerce(name, key, value, spec[key].kind)
    for key, p in spec.items():
        out.setdefault(key, p.default)
    out["d1"] = out["dim"] if out["d1"] is None else out["d1"]
    out["d2"] = out["dim"] if out["d2"] is None else out["d2"]
    for p in spec.values():  # the ranges of TEMPLATE_PARAMETERS (derived defaults come later)
        _check_range(name, p, out, params)
    if name in _IMC_TEMPLATES:
        b = out["input_bits_per_cycle"]
        if b is None:
            b = out["input_bits_per_cycle"] = min(2 if name == "aimc" else 1, out["input_bits"])
        if not _is_pow2(b) or b > out["input_bits"]:
            raise _range_error(
                name,
                "input_bits_per_cycle",
                b,
                f"powers of two 1..input_bits ({out['input_bits']})",
            )
        if out["adc_bits"] is None:
            # carbonspot-model.md §4.1: b + 0.5·floor(log2 D2) (also set, unused, for DIMC)
            out["adc_bits"] = b + 0.5 * math.floor(math.log2(out["d2"]))
            _check_range(name, spec["adc_bits"], out, params)
    if name in _DIGITAL and out["dataflow"] is None:
        out["dataflow"] = TEMPLATE_DATAFLOW[name]
    split = (out["sram_w_bytes"], out["sram_act_bytes"])
    if (split[0] is None) != (split[1] is None):
        missing = "sram_act_bytes" if split[1] is None else "sram_w_bytes"
        raise InputError(
            "a split SRAM needs both buffer sizes",
            source=name,
            field=missing,
            allowed="sram_w_bytes and sram_act_bytes together (or neither: one sram_bytes)",
        )
    bw = sram_bw_bits(name, out)
    sizes = {"sram_w_bytes": split[0], "sram_act_bytes": split[1]} if split[0] else {}
    sizes = sizes or {"sram_bytes": out["sram_bytes"]}
    if out["l2_bytes"]:
        sizes["l2_bytes"] = out["l2_bytes"]
    for key, size in sizes.items():
        _check_sram_rows(name, key, size, bw)
    return out


def _check_sram_rows(name: str, key: str, size_bytes: int, bw: int) -> None:
    """An SRAM of ``size_bytes`` with a ``bw``-bit word: 32 rows at least, the table's at most."""
    min_bytes = MIN_SRAM_ROWS * bw // 8
    if size_bytes < min_bytes:
        raise InputError(
            f"{size_bytes} bytes gives {size_bytes * 8 / bw:g} rows of {bw} bits, "
            f"fewer than {MIN_SRAM_ROWS}",
            source=name,
            field=key,
            allowed=f">= {min_bytes} bytes for this array",
        )
    max_rows = float(sram_table()["rows"][-1]) * 64
    if size_bytes * 8 / bw > max_rows:
        raise _range_error(
            name, key, size_bytes, f"<= {int(max_rows * bw / 8)} bytes for this array"
        )


def sram_bw_bits(name: str, p: Mapping[str, Any]) -> int:
    """SRAM word width: ``sram_bw_bits`` if given, else max(D2·P_in, D1·(P_in+P_w))·D3 (= 16·d
    in the sweep, §3.3)."""
    if p.get("sram_bw_bits"):
        return int(p["sram_bw_bits"])
    return (
        max(p["d2"] * p["input_bits"], p["d1"] * (p["input_bits"] + p["weight_bits"])) * p["macros"]
    )


def dram_bw_bits(p: Mapping[str, Any]) -> int:
    """DRAM word width: P_in·D1·D3 (= 8·d in the sweep, §3.3)."""
    return p["input_bits"] * p["d1"] * p["macros"]


def parse_template_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``NAME:key=value,key=value`` into the lower-case name and raw parameters."""
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    params: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InputError(
                f"{item!r} is not key=value",
                source=spec,
                field="parameters",
                allowed="NAME:key=value,key=value",
            )
        key = key.strip()
        if key in params:
            raise InputError(
                f"parameter {key!r} is given twice ({key}={params[key]} and {key}={value.strip()})",
                source=spec,
                field=key,
                allowed="each parameter once",
            )
        params[key] = value.strip()
    return name, params


# --------------------------------------------------------------------------------------------
# hierarchy pieces


def _in_port(op: str) -> tuple[Port, Port]:
    return (
        Port("r_port_1", "r", 0, 0, ((op, "tl"),)),
        Port("w_port_1", "w", 0, 0, ((op, "fh"),)),
    )


def _out_ports() -> tuple[Port, ...]:
    return (
        Port("r_port_1", "r", 0, 0, (("O", "tl"),)),
        Port("r_port_2", "r", 0, 0, (("O", "th"),)),
        Port("w_port_1", "w", 0, 0, (("O", "fl"),)),
        Port("w_port_2", "w", 0, 0, (("O", "fh"),)),
    )


def _with_bw(ports: tuple[Port, ...], bw: int, bw_min: int) -> tuple[Port, ...]:
    return tuple(Port(p.name, p.kind, bw, bw_min, p.allocation) for p in ports)


def _register(
    name: str,
    bits: int,
    operand: str,
    served: tuple[str, ...],
    tech: Technology,
    words: int = 1,
) -> MemoryLevel:
    """A register (file) of ``words`` words of ``bits``: accessed a word at a time, its
    area that of all its flip-flops (DFF costs, carbonspot-model.md §5.4)."""
    cost = register_cost(bits, tech)
    area = cost.area_mm2 if words == 1 else register_cost(bits * words, tech).area_mm2
    ports = _out_ports() if operand == "O" else _in_port(operand)
    return MemoryLevel(
        name=name,
        size_bits=bits * words,
        operands=(operand,),
        r_bw_bits=bits,
        w_bw_bits=bits,
        r_energy_pj=float(cost.r_energy_pj),
        w_energy_pj=float(cost.w_energy_pj),
        area_mm2=float(area),
        served_dims=served,
        ports=_with_bw(ports, bits, bits),
        kind="reg",
    )


def _big_memory_ports(operands: tuple[str, ...], top: bool) -> tuple[Port, ...]:
    """One port per (operand, direction): reads tl (+ O th), writes fh (+ O fl)."""
    reads: list[tuple[str, str]] = [(op, "tl") for op in operands]
    writes: list[tuple[str, str]] = [(op, "fh") for op in operands if op != "O"]
    if "O" in operands:
        writes.append(("O", "fl"))
        if not top:
            reads.append(("O", "th"))
            writes.append(("O", "fh"))
    ports = [Port(f"r_port_{i + 1}", "r", 0, 0, (a,)) for i, a in enumerate(reads)]
    ports += [Port(f"w_port_{i + 1}", "w", 0, 0, (a,)) for i, a in enumerate(writes)]
    return tuple(ports)


def _sram(
    p: Mapping[str, Any],
    bw: int,
    operands: tuple[str, ...],
    dims: tuple[str, ...],
    preset: Preset,
    size_bytes: int | None = None,
    name: str = "sram",
) -> MemoryLevel:
    size_bits = (p["sram_bytes"] if size_bytes is None else size_bytes) * 8
    cost = sram_cost(size_bits, bw, node_nm=p["node_nm"], vdd_v=p["vdd_v"], preset=preset)
    bw_min = max(1, bw // SRAM_SUB_BANKS)
    return MemoryLevel(
        name=name,
        size_bits=size_bits,
        operands=operands,
        r_bw_bits=bw,
        w_bw_bits=bw,
        r_energy_pj=float(cost.r_energy_pj),
        w_energy_pj=float(cost.w_energy_pj),
        area_mm2=float(cost.area_mm2),
        served_dims=dims,
        ports=_with_bw(_big_memory_ports(operands, top=False), bw, bw_min),
        r_bw_min_bits=bw_min,
        w_bw_min_bits=bw_min,
        kind="sram",
    )


def _dram(
    p: Mapping[str, Any], operands: tuple[str, ...], dims: tuple[str, ...], tclk_ns: float
) -> MemoryLevel:
    """The DRAM: ``dram_type``'s energy per bit and bandwidth unless given explicitly.

    A bandwidth in GB/s becomes a word of ``GB/s · 8 · tclk_ns`` bits per array cycle (at least
    one bit); the ``default`` type keeps the original's P_in·D1·D3-bit word.
    """
    kind = dram_types()[p["dram_type"]]
    gbps = p["dram_bw_gbps"] if p["dram_bw_gbps"] is not None else kind.bw_gbps
    bw = dram_bw_bits(p) if gbps is None else max(1, int(round(gbps * 8 * tclk_ns)))
    bw_min = max(1, bw // SRAM_SUB_BANKS)
    pj_bit = kind.pj_per_bit if p["dram_pj_per_bit"] is None else p["dram_pj_per_bit"]
    e = float(dram_access_pj(bw, pj_bit))
    return MemoryLevel(
        name="dram",
        size_bits=int(round(p["dram_gb"] * 2**30 * 8)),
        operands=operands,
        r_bw_bits=bw,
        w_bw_bits=bw,
        r_energy_pj=e,
        w_energy_pj=e,
        area_mm2=0.0,
        served_dims=dims,
        ports=_with_bw(_big_memory_ports(operands, top=True), bw, bw_min),
        r_bw_min_bits=bw_min,
        w_bw_min_bits=bw_min,
        kind="dram",
    )


def weights_on_chip(name: str, p: Mapping[str, Any], workload_weight_bytes: int | None) -> bool:
    """The original's ``enable_weight_dram_removal``: the SRAM (the weight buffer, when the
    SRAM is split; else the L2 when there is one) strictly larger than the weights."""
    if name == "pdigital_os" or workload_weight_bytes is None:
        return False
    on_chip = p["sram_w_bytes"] if p.get("sram_w_bytes") else p["sram_bytes"]
    return max(on_chip, p.get("l2_bytes") or 0) > workload_weight_bytes


def build_template(
    name: str,
    params: Mapping[str, Any] | None = None,
    preset: str | Preset | None = None,
    workload_weight_bytes: int | None = None,
    spec: str = "",
) -> Accelerator:
    """Build a template accelerator; ``params`` as in :data:`TEMPLATE_PARAMETERS` (strings ok).

    ``workload_weight_bytes`` decides whether the SRAM keeps the weights (see module doc).
    Raises :class:`InputError` for unknown templates or out-of-range parameters.
    """
    name = name.lower()
    pr = get_preset(preset)
    p = resolve_params(name, dict(params or {}))
    if workload_weight_bytes is not None and workload_weight_bytes < 0:
        raise InputError(
            "negative weight size", field="workload_weight_bytes", allowed="bytes >= 0"
        )
    tech = scaled_technology(p["node_nm"], p["vdd_v"])
    dims = (("D1", p["d1"]), ("D2", p["d2"]), ("D3", p["macros"]))
    all_dims = tuple(d for d, _ in dims)
    pin, pw = p["input_bits"], p["weight_bits"]
    bw = sram_bw_bits(name, p)
    w_on_chip = weights_on_chip(name, p, workload_weight_bytes)
    split = bool(p["sram_w_bytes"])
    # where W lives: the shared SRAM only when all weights fit in it (the original's rule),
    # the weight buffer of a split SRAM always; the DRAM unless the weights fit on chip
    w_in_sram = (
        name == "pdigital_os"
        or split
        or (w_on_chip and p["sram_bytes"] > (workload_weight_bytes or 0))
    )
    sram_ops = ("I", "W", "O") if w_in_sram else ("I", "O")
    dram_ops = ("I", "O") if w_on_chip else ("I", "W", "O")
    reg_o = pin + pw
    if name.startswith("pdigital"):
        array: DigitalArray | ImcArray = DigitalArray(
            dims=dims,
            mac_energy_pj=digital.mac_energy_pj(pin, pw, tech),
            pe_area_mm2=digital.pe_area_mm2(pin, pw, tech),
            tclk_ns=digital.ENVISION_TCLK_NS * tech.node_nm / REFERENCE_NODE_NM,
            input_bits=pin,
            weight_bits=pw,
            reduce_dim="D2" if name == "pdigital_ws" else None,
            tech=tech,
        )
        n_i, n_o, n_w = p["rf_i_words"], p["rf_o_words"], p["rf_w_words"]
        if name == "pdigital_os":
            inner = (
                _register("reg_O1", reg_o, "O", (), tech, n_o),
                _register("reg_W1", pw, "W", ("D2",), tech, n_w),
                _register("reg_I1", pin, "I", ("D1",), tech, n_i),
            )
        else:
            inner = (
                _register("reg_W1", pw, "W", (), tech, n_w),
                _register("reg_I1", pin, "I", ("D1",), tech, n_i),
                _register("reg_O1", reg_o, "O", ("D2",), tech, n_o),
            )
    else:
        array = ImcArray(
            imc_type="analog" if name == "aimc" else "digital",
            dims=dims,
            input_bits=pin,
            weight_bits=pw,
            input_bits_per_cycle=p["input_bits_per_cycle"],
            adc_bits=p["adc_bits"],
            group_depth=p["group_depth"],
            tech=tech,
        )
        w_cost = imc_weight_write_pj(
            p["d1"],
            p["d2"],
            p["group_depth"],
            pw,
            preset=pr,
            node_nm=p["node_nm"],
            vdd_v=p["vdd_v"],
        )
        cells = MemoryLevel(
            name="cell_group",
            size_bits=pw * p["group_depth"],
            operands=("W",),
            r_bw_bits=pw,
            w_bw_bits=pw,
            r_energy_pj=0.0,
            w_energy_pj=w_cost,
            area_mm2=0.0,  # counted in the macro's cell array (§4.3)
            served_dims=(),
            ports=(Port("rw_port_1", "rw", pw, pw, (("W", "fh"), ("W", "tl"))),),
            latency_cycles=0,
            kind="cells",
        )
        inner = (
            cells,
            _register("rf_I1", pin, "I", ("D1",), tech, p["rf_i_words"]),
            _register("rf_O1", reg_o, "O", ("D2",), tech, p["rf_o_words"]),
        )
    if split:
        on_chip: tuple[MemoryLevel, ...] = (
            _sram(p, bw, ("W",), all_dims, pr, p["sram_w_bytes"], "sram_w"),
            _sram(p, bw, ("I", "O"), all_dims, pr, p["sram_act_bytes"], "sram_act"),
        )
    else:
        on_chip = (_sram(p, bw, sram_ops, all_dims, pr),)
    if p["l2_bytes"]:
        on_chip += (_sram(p, bw, ("I", "W", "O"), all_dims, pr, p["l2_bytes"], "l2"),)
    if isinstance(array, ImcArray):
        tclk_ns = sum(imc.tclk_breakdown_ns(array, pr).values())
    else:
        tclk_ns = sum(digital.tclk_breakdown_ns(array, pr).values())
    memories = (*inner, *on_chip, _dram(p, dram_ops, all_dims, tclk_ns))
    flow = DATAFLOWS[p.get("dataflow") or TEMPLATE_DATAFLOW[name]]
    params_t = tuple(sorted(p.items()))
    return Accelerator(
        name=name,
        array=array,
        memories=memories,
        spec=spec or format_spec(name, p),
        preset=pr.name,
        params=params_t,
        hint=tuple((dim, loops) for dim, loops in flow.items()),
    )


def format_spec(name: str, params: Mapping[str, Any]) -> str:
    """Short spec string ``name:dim=…,sram_bytes=…`` for labels."""
    if params.get("d1") == params.get("d2"):
        parts = [f"dim={params.get('d1')}"]
    else:
        parts = [f"d1={params.get('d1')}", f"d2={params.get('d2')}"]
    parts.append(f"sram_bytes={params.get('sram_bytes')}")
    if params.get("macros", 1) != 1:
        parts.append(f"macros={params['macros']}")
    return f"{name}:" + ",".join(parts)
