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
from carbonspot.hardware import digital
from carbonspot.hardware.memory import (
    REFERENCE_NODE_NM,
    REFERENCE_VDD_V,
    dram_access_pj,
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
        if self.pow2:
            words = f"powers of two {self.low:g}..{self.high:g}"
        elif self.low_open and self.low == 0 and self.high == math.inf:
            words = f"a positive number of{unit}" if unit else "a positive number"
        elif self.high == math.inf:
            words = f"integers >= {self.low:g}" if kind is int else f">= {self.low:g}{unit}"
        elif kind is int:
            words = f"integers {self.low:g}..{self.high:g}"
        else:
            words = f"{self.low:g}..{self.high:g}{unit}"
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
    kind: type  # int or float
    default: int | float | None
    doc: str
    templates: tuple[str, ...] = TEMPLATE_NAMES
    allowed: Range | None = None
    allowed_on: tuple[tuple[tuple[str, ...], Range | None], ...] = ()
    rule: str = ""
    derived: str = ""

    def range_on(self, template: str) -> Range | None:
        """The range checked on ``template`` (``None``: the rule in :attr:`rule`)."""
        for names, rng in self.allowed_on:
            if template in names:
                return rng
        return self.allowed

    def allowed_text(self, template: str | None = None) -> str:
        """Allowed values in words, on ``template`` or on every template that takes it."""
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
    ),
    TemplateParam(
        "group_depth",
        int,
        1,
        "weights per cell group",
        templates=_IMC_TEMPLATES,
        allowed=Range(1),
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
    if rng is None or value is None or rng.accepts(value):
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
    bw = sram_bw_bits(name, out)
    min_bytes = MIN_SRAM_ROWS * bw // 8
    if out["sram_bytes"] < min_bytes:
        raise InputError(
            f"{out['sram_bytes']} bytes gives {out['sram_bytes'] * 8 / bw:g} rows of {bw} bits, "
            f"fewer than {MIN_SRAM_ROWS}",
            source=name,
            field="sram_bytes",
            allowed=f">= {min_bytes} bytes for this array",
        )
    max_rows = float(sram_table()["rows"][-1]) * 64
    if out["sram_bytes"] * 8 / bw > max_rows:
        raise _range_error(
            name,
            "sram_bytes",
            out["sram_bytes"],
            f"<= {int(max_rows * bw / 8)} bytes for this array",
        )
    return out


def sram_bw_bits(name: str, p: Mapping[str, Any]) -> int:
    """SRAM word width: max(D2·P_in, D1·(P_in+P_w))·D3 (= 16·d in the sweep, §3.3)."""
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
    name: str, bits: int, operand: str, served: tuple[str, ...], tech: Technology
) -> MemoryLevel:
    cost = register_cost(bits, tech)
    ports = _out_ports() if operand == "O" else _in_port(operand)
    return MemoryLevel(
        name=name,
        size_bits=bits,
        operands=(operand,),
        r_bw_bits=bits,
        w_bw_bits=bits,
        r_energy_pj=float(cost.r_energy_pj),
        w_energy_pj=float(cost.w_energy_pj),
        area_mm2=float(cost.area_mm2),
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
    p: Mapping[str, Any], bw: int, operands: tuple[str, ...], dims: tuple[str, ...], preset: Preset
) -> MemoryLevel:
    size_bits = p["sram_bytes"] * 8
    cost = sram_cost(size_bits, bw, node_nm=p["node_nm"], vdd_v=p["vdd_v"], preset=preset)
    bw_min = max(1, bw // SRAM_SUB_BANKS)
    return MemoryLevel(
        name="sram",
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


def _dram(p: Mapping[str, Any], operands: tuple[str, ...], dims: tuple[str, ...]) -> MemoryLevel:
    bw = dram_bw_bits(p)
    bw_min = max(1, bw // SRAM_SUB_BANKS)
    e = float(dram_access_pj(bw))
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
    """The original's ``enable_weight_dram_removal``: SRAM strictly larger than the weights."""
    if name == "pdigital_os" or workload_weight_bytes is None:
        return False
    return p["sram_bytes"] > workload_weight_bytes


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
    if name == "pdigital_os":
        sram_ops, dram_ops = ("I", "W", "O"), ("I", "W", "O")
    elif w_on_chip:
        sram_ops, dram_ops = ("I", "W", "O"), ("I", "O")
    else:
        sram_ops, dram_ops = ("I", "O"), ("I", "W", "O")
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
        if name == "pdigital_os":
            inner = (
                _register("reg_O1", reg_o, "O", (), tech),
                _register("reg_W1", pw, "W", ("D2",), tech),
                _register("reg_I1", pin, "I", ("D1",), tech),
            )
        else:
            inner = (
                _register("reg_W1", pw, "W", (), tech),
                _register("reg_I1", pin, "I", ("D1",), tech),
                _register("reg_O1", reg_o, "O", ("D2",), tech),
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
            _register("rf_I1", pin, "I", ("D1",), tech),
            _register("rf_O1", reg_o, "O", ("D2",), tech),
        )
    memories = (*inner, _sram(p, bw, sram_ops, all_dims, pr), _dram(p, dram_ops, all_dims))
    params_t = tuple(sorted(p.items()))
    return Accelerator(
        name=name,
        array=array,
        memories=memories,
        spec=spec or format_spec(name, p),
        preset=pr.name,
        params=params_t,
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
