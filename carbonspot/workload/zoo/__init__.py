"""Built-in workloads by name, and one entry point for names and files alike.

``load_workload`` accepts a zoo name (``WORKLOAD_NAMES``), an LLM name ``MODEL@prefill:P``
or ``MODEL@decode:L`` (``llm.DECODERS``, any token count), a CarbonSpot workload YAML, a
ZigZag v3 workload YAML or an ``.onnx`` file. Zoo networks are defined in code
(``tiny.py``, ``mobile.py``, ``llm.py``), never read from ONNX at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from carbonspot.errors import InputError
from carbonspot.workload.model import Workload
from carbonspot.workload.zoo import llm, mobile, tiny

_BUILDERS: dict[str, Callable[[], Workload]] = {
    "ae": tiny.ae,
    "ds_cnn": tiny.ds_cnn,
    "mobilenet_v1": tiny.mobilenet_v1,
    "resnet8": tiny.resnet8,
    "resnet18": tiny.resnet18,
    "mobilenet_v2_imagenet": tiny.mobilenet_v2_imagenet,
    "alexnet": tiny.alexnet,
    "mobilenet_edgetpu": mobile.mobilenet_edgetpu,
    "ssd_mobilenet_v2": mobile.ssd_mobilenet_v2,
    "deeplabv3": mobile.deeplabv3,
    "mobilebert": mobile.mobilebert,
    "deit_tiny": llm.deit_tiny,
    # LLMs at the edge-llm suite's default lengths (any other length: MODEL@MODE:N)
    "tinyllama-1.1b@prefill:128": lambda: llm.llm("tinyllama-1.1b@prefill:128"),
    "tinyllama-1.1b@decode:512": lambda: llm.llm("tinyllama-1.1b@decode:512"),
    "qwen2.5-0.5b@prefill:128": lambda: llm.llm("qwen2.5-0.5b@prefill:128"),
    "qwen2.5-0.5b@decode:512": lambda: llm.llm("qwen2.5-0.5b@decode:512"),
}

WORKLOAD_NAMES: tuple[str, ...] = tuple(_BUILDERS)

# Benchmark suites (carbonspot-model.md §3.1); "imagenet" holds the extra networks of the
# original's ONNX inputs (ResNet-18, MobileNetV2, AlexNet).
SUITES: dict[str, tuple[str, ...]] = {
    "tiny": ("ae", "ds_cnn", "mobilenet_v1", "resnet8"),
    "mobile": ("mobilenet_edgetpu", "ssd_mobilenet_v2", "deeplabv3", "mobilebert"),
    "imagenet": ("resnet18", "mobilenet_v2_imagenet", "alexnet", "deit_tiny"),
    # a 128-token prompt and a decode step at 512 tokens of context, for two small LLMs;
    # periods: the prompt within 1 s, 10 generated tokens per second (llm.py)
    "edge-llm": (
        "tinyllama-1.1b@prefill:128",
        "tinyllama-1.1b@decode:512",
        "qwen2.5-0.5b@prefill:128",
        "qwen2.5-0.5b@decode:512",
    ),
}

# Names the original CarbonSpot used for the same networks.
ALIASES: dict[str, str] = {
    "mobilenet": "mobilenet_v1",
    "deepautoencoder": "ae",
}  # the original's "mobilenet_v2" key meant the SSD detector: deliberately no alias

WORKLOAD_SUFFIXES = (".yaml", ".yml", ".onnx")


@cache
def _build(name: str) -> Workload:
    if name in _BUILDERS:
        return _BUILDERS[name]()
    return llm.llm(name)


def get_workload(name: str) -> Workload:
    """A built-in workload by zoo name, alias or LLM name (built once; immutable)."""
    key = ALIASES.get(name, name)
    if key not in _BUILDERS and llm.is_llm_name(key):
        llm.parse_llm_name(key)  # raises a clear error for an unknown model or mode
        return _build(key)
    if key not in _BUILDERS:
        raise InputError(
            f"unknown workload {name!r}",
            field="workload",
            allowed=list(WORKLOAD_NAMES)
            + ["MODEL@prefill:P or MODEL@decode:L for MODEL in " + ", ".join(llm.DECODERS)]
            + ["a path to a .yaml/.yml/.onnx file"],
        )
    return _build(key)


def load_workload(name_or_path: str | Path) -> Workload:
    """Zoo name, our YAML, ZigZag v3 YAML or ONNX file → :class:`Workload`.

    Raises :class:`InputError` for unknown names and for unreadable or invalid files.
    """
    text = str(name_or_path)
    if text in _BUILDERS or text in ALIASES or llm.is_llm_name(text):
        return get_workload(text)
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in WORKLOAD_SUFFIXES and not path.is_file():
        get_workload(text)  # raises the "unknown workload" error listing the zoo names
    if suffix == ".onnx":
        from carbonspot.workload.readers.onnx import load_onnx_workload

        return load_onnx_workload(path)
    if suffix in (".yaml", ".yml"):
        from carbonspot.workload.readers.yaml import load_any_workload_yaml

        return load_any_workload_yaml(path)
    raise InputError(
        "unrecognised workload file type",
        source=text,
        field="suffix",
        allowed=list(WORKLOAD_SUFFIXES),
    )


def suite(name: str) -> list[Workload]:
    """The workloads of a benchmark suite (a key of :data:`SUITES`)."""
    if name not in SUITES:
        raise InputError(f"unknown suite {name!r}", field="suite", allowed=list(SUITES))
    return [get_workload(n) for n in SUITES[name]]


__all__ = [
    "ALIASES",
    "SUITES",
    "WORKLOAD_NAMES",
    "get_workload",
    "load_workload",
    "suite",
]
