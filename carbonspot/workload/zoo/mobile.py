"""MLPerf-Mobile v0.7 networks rebuilt from their published architectures.

The original CarbonSpot read these from ONNX files that are missing from its snapshot
(carbonspot-model.md §11), so they are written here from the architecture definitions:

- ``mobilenet_edgetpu``: MobileNet-EdgeTPU (``V3_EDGETPU`` in TF-slim
  ``nets/mobilenet/mobilenet_v3.py``), 224x224, 1001 classes.
- ``ssd_mobilenet_v2``: SSD with a MobileNetV2 feature extractor, 300x300, COCO (90 classes
  + background), TF Object Detection API ``ssd_mobilenet_v2_coco`` (3x3 convolutional box
  predictor, 3 anchors on the first feature map and 6 on the others, extra layers of depth
  512/256/256/128 built as 1x1 + depthwise-separable 3x3/s2, ``use_depthwise``).
- ``deeplabv3``: DeepLabV3+ (the MLPerf model has the decoder) with a MobileNetV2 backbone
  at output stride 16, 512x512, ADE20K top-31 classes + background (32); image-pooling +
  1x1 ASPP branches and a separable-conv decoder as TF DeepLab builds them for MobileNetV2.
- ``mobilebert``: MobileBERT (Sun et al. 2020), 24 layers, hidden 512, bottleneck 128,
  4 heads, 4 stacked FFNs of width 512, SQuAD head, sequence length 384.

All at 25 FPS (carbonspot-model.md §3.1). ``docs/workloads.md`` compares the MAC counts
with the paper's op counts.
"""

from __future__ import annotations

from carbonspot.workload.model import Workload
from carbonspot.workload.zoo._builder import NetBuilder, Tap

MOBILE_FPS = 25.0

# MobileNetV2 inverted-residual stages (expansion t, channels c, repeats n, stride s).
MOBILENET_V2_STAGES = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def _inverted_residual(
    b: NetBuilder,
    name: str,
    expansion: int,
    out_channels: int,
    stride: int,
    kernel: int = 3,
    dilation: int = 1,
    residual: bool = True,
    taps: dict[str, Tap] | None = None,
    padding: str | int = "same",
) -> None:
    """Expand 1x1 (skipped when expansion == 1), depthwise kxk, project 1x1, optional add.

    ``padding`` of the depthwise conv: ``"same"`` (TensorFlow) or an int (PyTorch, symmetric).
    """
    c_in, _, _ = b.shape
    block_in = b.tensor
    if expansion != 1:
        b.pw(f"{name}.expand", c_in * expansion)
        if taps is not None:
            taps[f"{name}.expansion_output"] = b.mark()
    b.dw(f"{name}.depthwise", kernel, stride, padding=padding, dilation=dilation)
    if taps is not None:
        taps[f"{name}.depthwise_output"] = b.mark()
    b.pw(f"{name}.project", out_channels)
    if residual and stride == 1 and c_in == out_channels:
        b.add(f"{name}.add", block_in)


def _fused_inverted_residual(
    b: NetBuilder, name: str, expansion: int, out_channels: int, stride: int, kernel: int = 3
) -> None:
    """EdgeTPU fused block: full kxk expansion conv (with the stride), 1x1 projection."""
    c_in, _, _ = b.shape
    block_in = b.tensor
    if expansion != 1:
        b.conv(f"{name}.expand", c_in * expansion, kernel, stride)
    b.pw(f"{name}.project", out_channels)
    if stride == 1 and c_in == out_channels:
        b.add(f"{name}.add", block_in)


def _mobilenet_v2_features(
    b: NetBuilder,
    output_stride: int | None = None,
    taps: dict[str, Tap] | None = None,
    padding: str | int = "same",
) -> None:
    """MobileNetV2 up to the 320-channel stage (TF-slim ``V2_DEF`` layers 1-18).

    With ``output_stride`` the strides beyond it become 1 and the depthwise convs dilate
    instead (TF-slim ``mobilenet_base``), as DeepLab uses it.
    """
    b.conv("layer_1", 32, 3, 2, padding=padding)
    current_stride, rate, index = 2, 1, 2
    for expansion, channels, repeats, stride in MOBILENET_V2_STAGES:
        for i in range(repeats):
            s = stride if i == 0 else 1
            if output_stride is not None and current_stride == output_stride:
                layer_rate, rate, s = rate, rate * s, 1  # atrous instead of striding
            else:
                layer_rate, current_stride = 1, current_stride * s
            _inverted_residual(
                b,
                f"layer_{index}",
                expansion,
                channels,
                s,
                dilation=layer_rate,
                taps=taps,
                padding=padding,
            )
            if taps is not None:
                taps[f"layer_{index}"] = b.mark()
            index += 1


def mobilenet_edgetpu() -> Workload:
    """MobileNet-EdgeTPU image classifier (MLPerf Mobile v0.7 image classification)."""
    b = NetBuilder((3, 224, 224))
    b.conv("conv", 32, 3, 2)
    fused = [(1, 16, 1), (8, 32, 2), (4, 32, 1), (4, 32, 1), (4, 32, 1)]
    fused += [(8, 48, 2), (4, 48, 1), (4, 48, 1), (4, 48, 1)]
    for i, (expansion, channels, stride) in enumerate(fused):
        _fused_inverted_residual(b, f"block_{i}", expansion, channels, stride)
    regular = [
        (8, 96, 2, 3, True),
        (4, 96, 1, 3, True),
        (4, 96, 1, 3, True),
        (4, 96, 1, 3, True),
        (8, 96, 1, 3, False),
        (4, 96, 1, 3, True),
        (4, 96, 1, 3, True),
        (4, 96, 1, 3, True),
        (8, 160, 2, 5, True),
        (4, 160, 1, 5, True),
        (4, 160, 1, 5, True),
        (4, 160, 1, 5, True),
        (8, 192, 1, 3, True),
    ]
    for j, (expansion, channels, stride, kernel, residual) in enumerate(regular):
        name = f"block_{len(fused) + j}"
        _inverted_residual(b, name, expansion, channels, stride, kernel, residual=residual)
    b.pw("conv_1", 1280)
    b.pool("avgpool")
    b.pw("logits", 1001)
    return b.workload(
        "mobilenet_edgetpu",
        "mobile",
        MOBILE_FPS,
        "MobileNet-EdgeTPU, TF-slim mobilenet_v3.V3_EDGETPU (MLPerf Mobile v0.7)",
    )


def ssd_mobilenet_v2() -> Workload:
    """SSD-MobileNetV2 300x300 COCO detector (MLPerf Mobile v0.7 object detection)."""
    b = NetBuilder((3, 300, 300))
    taps: dict[str, Tap] = {}
    _mobilenet_v2_features(b, taps=taps)
    b.pw("layer_19", 1280)
    features = [taps["layer_15.expansion_output"], b.mark()]
    for i, depth in enumerate((512, 256, 256, 128)):
        b.pw(f"extra_{i}.1x1", depth // 2)
        b.dw(f"extra_{i}.3x3_s2.depthwise", 3, 2)
        b.pw(f"extra_{i}.3x3_s2.pointwise", depth)
        features.append(b.mark())
    classes = 90 + 1
    for i, tap in enumerate(features):
        anchors = 3 if i == 0 else 6
        b.at(tap)
        b.conv(f"box_predictor_{i}.box", anchors * 4, 3)
        b.at(tap)
        b.conv(f"box_predictor_{i}.class", anchors * classes, 3)
    return b.workload(
        "ssd_mobilenet_v2",
        "mobile",
        MOBILE_FPS,
        "SSD-MobileNetV2 300x300, TF Object Detection API ssd_mobilenet_v2_coco",
    )


def deeplabv3() -> Workload:
    """DeepLabV3+ MobileNetV2 512x512 ADE20K segmenter (MLPerf Mobile v0.7 segmentation).

    Output stride 16; ASPP as TF DeepLab builds it for MobileNetV2 (image pooling + 1x1
    branch, no atrous branches); decoder on ``layer_4/depthwise_output`` (stride 4) with two
    separable 3x3 convs; logits at stride 4. Bilinear resizes are not layers; the two
    concats are costless layers that join their branches (``Layer.inputs``).
    """
    b = NetBuilder((3, 512, 512))
    taps: dict[str, Tap] = {}
    _mobilenet_v2_features(b, output_stride=16, taps=taps)
    features = b.mark()
    b.pool("aspp.image_pooling.avgpool")
    pooled = b.pw("aspp.image_pooling.conv", 256)  # then upsampled to the feature map
    b.at(features)
    b.pw("aspp.aspp0", 256)
    aspp0 = b.mark()
    b.concat("aspp.concat", [(pooled.name, (256, 1, 1)), aspp0], spatial=features[1][1:])
    b.pw("aspp.concat_projection", 256)
    aspp = b.mark()
    low_level = taps["layer_4.depthwise_output"]
    b.at(low_level)
    b.pw("decoder.feature_projection0", 48)
    # upsampled ASPP output ++ low-level projection, at the low-level resolution
    b.concat("decoder.concat", [aspp, b.mark()], spatial=low_level[1][1:])
    for i in range(2):
        b.dw(f"decoder.decoder_conv{i}.depthwise", 3)
        b.pw(f"decoder.decoder_conv{i}.pointwise", 256)
    b.pw("logits", 32)
    return b.workload(
        "deeplabv3",
        "mobile",
        MOBILE_FPS,
        "DeepLabV3+ with MobileNetV2 (output stride 16, decoder), 512x512, ADE20K 32 classes",
    )


def mobilebert(seq_len: int = 384) -> Workload:
    """MobileBERT question answering (MLPerf Mobile v0.7 language), SQuAD head."""
    hidden, bottleneck, heads, ffn, n_ffn, layers = 512, 128, 4, 512, 4, 24
    embedding = 128
    b = NetBuilder((embedding, 1, 1))
    # Embedding: 3-gram of 128-d token embeddings (384 wide) projected to the hidden size.
    b.matmul("embedding.transformation", seq_len, 3 * embedding, hidden)
    head_dim = bottleneck // heads
    for i in range(layers):
        # graph (HF MobileBertLayer): the block input x feeds the two bottlenecks, the value
        # projection and the closing residual; the shared attention bottleneck feeds Q and K;
        # scores join Q and K, the context joins the (softmaxed) scores and V; every
        # attention/FFN sub-block ends in a residual add (+ norm) with its own input.
        p = f"layer_{i}"
        x = b.tensor
        bn_in = b.matmul(f"{p}.bottleneck.input", seq_len, hidden, bottleneck, inputs=(x,))
        bn_att = b.matmul(f"{p}.bottleneck.attention", seq_len, hidden, bottleneck, inputs=(x,))
        q = b.matmul(f"{p}.attention.query", seq_len, bottleneck, bottleneck, inputs=(bn_att.name,))
        k = b.matmul(f"{p}.attention.key", seq_len, bottleneck, bottleneck, inputs=(bn_att.name,))
        v = b.matmul(f"{p}.attention.value", seq_len, hidden, bottleneck, inputs=(x,))
        b.matmul(
            f"{p}.attention.scores", seq_len, head_dim, seq_len, heads, constant=False,
            inputs=(q.name, k.name),
        )  # fmt: skip
        b.matmul(
            f"{p}.attention.context", seq_len, seq_len, head_dim, heads, constant=False,
            inputs=(b.tensor, v.name),
        )  # fmt: skip
        b.matmul(f"{p}.attention.output", seq_len, bottleneck, bottleneck)
        b.add(f"{p}.attention.add", bn_in.name)
        for j in range(n_ffn):
            ffn_in = b.tensor
            b.matmul(f"{p}.ffn_{j}.intermediate", seq_len, bottleneck, ffn)
            b.matmul(f"{p}.ffn_{j}.output", seq_len, ffn, bottleneck)
            b.add(f"{p}.ffn_{j}.add", ffn_in)
        b.matmul(f"{p}.output.bottleneck", seq_len, bottleneck, hidden)
        b.add(f"{p}.output.add", x)
    b.matmul("qa_outputs", seq_len, hidden, 2)
    return b.workload(
        "mobilebert",
        "mobile",
        MOBILE_FPS,
        f"MobileBERT (Sun et al. 2020), SQuAD, sequence length {seq_len}",
    )
