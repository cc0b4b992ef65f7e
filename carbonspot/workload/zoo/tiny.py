"""MLPerf-Tiny v0.5 reference networks and the ImageNet extras, written layer by layer.

Each definition reproduces the compute layers (and pooling/residual-add layers) of the
ONNX files the original CarbonSpot shipped (``tests/data/onnx/``), in graph order, with
TensorFlow SAME padding where the TFLite model had it. ``tests/test_workload_onnx.py``
checks them layer by layer against those files.

Frame rates: carbonspot-model.md §3.1 ``periods`` (ae 1, ds_cnn 10, mobilenet 0.75,
resnet8 25 FPS; resnet18 borrows 25 FPS, and so do the other ImageNet networks).
"""

from __future__ import annotations

from dataclasses import replace

from carbonspot.workload.model import Workload
from carbonspot.workload.zoo._builder import NetBuilder

TINY_SOURCE = "MLPerf-Tiny v0.5 reference model (MLCommons, Apache-2.0)"


def ae() -> Workload:
    """Deep autoencoder for anomaly detection (ToyADMOS): 10 dense layers, 640-128-8-128-640."""
    b = NetBuilder((640, 1, 1))
    widths = [128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    for i, width in enumerate(widths):
        b.gemm(f"dense_{i}", width)
    return b.workload("ae", "tiny", 1.0, TINY_SOURCE + ", deepautoencoder")


def ds_cnn() -> Workload:
    """Depthwise-separable CNN for keyword spotting: 49x10 MFCC input, kernel 10x4 (HxW)."""
    b = NetBuilder((1, 49, 10))
    b.conv("conv_0", 64, kernel=(10, 4), stride=2)
    for i in range(1, 5):
        b.dw(f"dw_{i}", 3)
        b.pw(f"pw_{i}", 64)
    b.pool("avgpool", kernel=(25, 5))
    b.gemm("dense", 12)
    return b.workload("ds_cnn", "tiny", 10.0, TINY_SOURCE + ", keyword spotting")


def mobilenet_v1() -> Workload:
    """MobileNetV1 x0.25 for visual wake words, 96x96x3 input, 2 classes."""
    b = NetBuilder((3, 96, 96))
    b.conv("conv_0", 8, kernel=3, stride=2)
    blocks = [
        (1, 16),
        (2, 32),
        (1, 32),
        (2, 64),
        (1, 64),
        (2, 128),
        (1, 128),
        (1, 128),
        (1, 128),
        (1, 128),
        (1, 128),
        (2, 256),
        (1, 256),
    ]
    for i, (stride, width) in enumerate(blocks, start=1):
        b.dw(f"dw_{i}", 3, stride)
        b.pw(f"pw_{i}", width)
    b.pool("avgpool", kernel=3)
    b.gemm("dense", 2)
    return b.workload("mobilenet_v1", "tiny", 0.75, TINY_SOURCE + ", visual wake words")


def resnet8() -> Workload:
    """ResNet-8 for CIFAR-10 image classification, 32x32x3 input."""
    b = NetBuilder((3, 32, 32))
    b.conv("conv_0", 16, kernel=3)
    for stage, width in enumerate((16, 32, 64), start=1):
        stride = 1 if stage == 1 else 2
        block_in = b.mark()
        b.conv(f"s{stage}_conv1", width, kernel=3, stride=stride)
        main = b.conv(f"s{stage}_conv2", width, kernel=3)
        shortcut = block_in[0]
        if stride != 1:  # 1x1 projection shortcut from the block input
            block_out = b.shape
            b.at(block_in)
            shortcut = b.conv(f"s{stage}_shortcut", width, 1, stride, padding="valid").name
            assert b.shape == block_out
            b.tensor = main.name
        b.add(f"s{stage}_add", shortcut)
    b.pool("avgpool", kernel=8)
    b.gemm("dense", 10)
    return b.workload("resnet8", "tiny", 25.0, TINY_SOURCE + ", image classification")


def resnet18() -> Workload:
    """ResNet-18 (torchvision layout), 224x224x3 input, 1000 classes, 1x1 downsample convs."""
    b = NetBuilder((3, 224, 224))
    b.conv("conv1", 64, kernel=7, stride=2, padding=3)
    b.pool("maxpool", kernel=3, stride=2, padding=1)
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if (stage > 1 and block == 0) else 1
            prefix = f"layer{stage}.{block}"
            block_in = b.mark()
            b.conv(f"{prefix}.conv1", width, kernel=3, stride=stride, padding=1)
            main = b.conv(f"{prefix}.conv2", width, kernel=3, padding=1)
            shortcut = block_in[0]
            if stride != 1:
                block_out = b.shape
                b.at(block_in)
                shortcut = b.conv(f"{prefix}.downsample", width, 1, stride, padding=0).name
                assert b.shape == block_out
                b.tensor = main.name
            b.add(f"{prefix}.add", shortcut)
    b.pool("avgpool")  # global average pool
    b.gemm("fc", 1000)
    return b.workload(
        "resnet18", "imagenet", 25.0, "ResNet-18 (He et al. 2016), torchvision layout"
    )


def mobilenet_v2_imagenet() -> Workload:
    """MobileNetV2 classifier (torchvision layout, symmetric padding), 224x224, 1000 classes.

    Not the original's ``mobilenet_v2`` key, which meant SSD-MobileNetV2 (see mobile.py).
    """
    from carbonspot.workload.zoo.mobile import _mobilenet_v2_features

    b = NetBuilder((3, 224, 224))
    _mobilenet_v2_features(b, padding=1)
    b.pw("layer_19", 1280)
    b.pool("avgpool")  # global average pool
    b.gemm("classifier", 1000)
    return b.workload(
        "mobilenet_v2_imagenet",
        "imagenet",
        25.0,
        "MobileNetV2 (Sandler et al. 2018), torchvision layout",
    )


def alexnet() -> Workload:
    """AlexNet (BVLC/ONNX-model-zoo layout: grouped conv2/4/5), 224x224, 1000 classes.

    Its two LRN layers are not loop nests; they are recorded as unsupported, as the ONNX
    importer does.
    """
    b = NetBuilder((3, 224, 224))
    b.conv("conv1", 96, kernel=11, stride=4, padding=0)
    b.pool("pool1", kernel=3, stride=2)
    b.conv("conv2", 256, kernel=5, groups=2, padding=2)
    b.pool("pool2", kernel=3, stride=2)
    b.conv("conv3", 384, kernel=3, padding=1)
    b.conv("conv4", 384, kernel=3, groups=2, padding=1)
    b.conv("conv5", 256, kernel=3, groups=2, padding=1)
    b.pool("pool5", kernel=3, stride=2, padding=(0, 0, 1, 1))
    b.gemm("fc6", 4096)
    b.gemm("fc7", 4096)
    b.gemm("fc8", 1000)
    w = b.workload("alexnet", "imagenet", 25.0, "AlexNet (Krizhevsky et al. 2012), BVLC layout")
    return replace(w, unsupported=("LRN x2",))
