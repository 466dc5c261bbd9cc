#!/usr/bin/env python3
"""The benchmark's networks and steps in PyTorch, for the ratio ours / PyTorch that `npm run bench` prints.

Same architectures as src/models (cnn, resnet20, wrn-16-4, and densenet40: DenseNet-BC of depth 40, growth 12) on
28x28x1 inputs and 10 classes, as the bench builds them: no dropout, no conv biases, batch norm with eps 1e-5 and
momentum 0.1. Stride-2 3x3 convolutions pad 1 on each side where TF.js's 'same' pads 0 before and 1 after: the same
shapes and FLOPs, the windows one pixel apart. The same training step (softmax cross-entropy, SGD with Nesterov
momentum 0.9 and weight decay 1e-4, the loss read back) and inference (softmax of the logits), on random data, with
one thread per core unless told.
Prints one JSON object: {"torch": version, "threads": n, "results": [{model, train: [{batch, imagesPerSecond,
stepMs}], infer: {...}, peakRssMiB}]}.
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k=3, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


def bn_relu(c):
    return nn.Sequential(nn.BatchNorm2d(c, eps=1e-5, momentum=0.1), nn.ReLU(inplace=True))


def conv_bn(cin, cout, k=3, stride=1, relu=True):
    layers = [conv(cin, cout, k, stride), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def cnn(num_classes=10):
    return nn.Sequential(
        conv_bn(1, 32), conv_bn(32, 32), nn.MaxPool2d(2),
        conv_bn(32, 64), conv_bn(64, 64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(inplace=True), nn.Linear(128, num_classes),
    )


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, stride=stride)
        self.b = conv_bn(cout, cout, relu=False)
        self.shortcut = conv_bn(cin, cout, k=1, stride=stride, relu=False) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + self.shortcut(x))


def resnet(depth=20, num_classes=10):
    n = (depth - 2) // 6
    layers = [conv_bn(1, 16)]
    cin = 16
    for stage, cout in enumerate([16, 32, 64]):
        for b in range(n):
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes)]
    return nn.Sequential(*layers)


class WideBlock(nn.Module):
    """Pre-activation wide block B(3,3): BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus the shortcut, a 1x1 convolution of the
    pre-activated input where the shape changes, else the input itself (src/models/wideResnet.ts)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.pre = bn_relu(cin)
        self.a = conv(cin, cout, stride=stride)
        self.b = bn_relu(cout)
        self.b_conv = conv(cout, cout)
        self.shortcut = conv(cin, cout, k=1, stride=stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        pre = self.pre(x)
        y = self.b_conv(self.b(self.a(pre)))
        return y + (x if self.shortcut is None else self.shortcut(pre))


def wide_resnet(depth, widen, num_classes=10):
    n = (depth - 4) // 6
    layers = [conv(1, 16)]
    cin = 16
    for stage, base in enumerate([16, 32, 64]):
        for b in range(n):
            layers.append(WideBlock(cin, base * widen, 2 if stage > 0 and b == 0 else 1))
            cin = base * widen
    layers += [bn_relu(cin), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    """DenseNet-BC layer: BN-ReLU-conv1x1(4k)-BN-ReLU-conv3x3(k), concatenated after its input (src/models/densenet.ts)."""

    def __init__(self, cin, growth):
        super().__init__()
        self.body = nn.Sequential(bn_relu(cin), conv(cin, 4 * growth, k=1), bn_relu(4 * growth), conv(4 * growth, growth))

    def forward(self, x):
        return torch.cat([x, self.body(x)], 1)


def densenet_bc(depth, growth, num_classes=10):
    n = (depth - 4) // 6
    channels = 2 * growth
    layers = [conv(1, channels)]
    for block in range(3):
        for _ in range(n):
            layers.append(Bottleneck(channels, growth))
            channels += growth
        if block < 2:
            layers += [bn_relu(channels), conv(channels, channels // 2, k=1), nn.AvgPool2d(2)]
            channels //= 2
    layers += [bn_relu(channels), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)


MODELS = {
    "cnn": cnn,
    "resnet20": lambda: resnet(20),
    "wrn-16-4": lambda: wide_resnet(16, 4),
    "densenet40": lambda: densenet_bc(40, 12),
}


def timed(step, steps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(1000 * (time.perf_counter() - start))
    return times


def bench_model(name, train_batches, infer_batch, steps):
    torch.manual_seed(1)
    model = MODELS[name]()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
    train = []
    for batch in train_batches:
        x = torch.randn(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))
        model.train()

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()

        ms = timed(step, steps, 2)
        train.append({"batch": batch, "imagesPerSecond": 1000 * batch / statistics.median(ms), "stepMs": ms})
    train_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    x = torch.randn(infer_batch, 1, 28, 28)
    model.eval()

    def infer():
        with torch.no_grad():
            F.softmax(model(x), dim=1).numpy()

    ms = timed(infer, max(2, (steps + 1) // 2), 1)
    return {
        "model": name,
        "train": train,
        "infer": {"batch": infer_batch, "imagesPerSecond": 1000 * infer_batch / statistics.median(ms), "stepMs": ms},
        "trainPeakRssMiB": train_peak,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="cnn,resnet20,wrn-16-4,densenet40")
    parser.add_argument("--train-batches", default="64,128")
    parser.add_argument("--infer-batch", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    batches = [int(b) for b in args.train_batches.split(",")]
    results = [bench_model(m, batches, args.infer_batch, args.steps) for m in args.models.split(",")]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
