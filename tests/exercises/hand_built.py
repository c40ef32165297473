"""Blocks and networks built by hand for the checker tests of lessons 1, 2, 4 and 5: right ones, ones
with one mistake switched on by an argument, and wrong answers that fit any block (each wraps a
right block)."""

import torch
from torch import nn

from inception_course.models.layers import ConvBNReLU, InceptionBlock


def inception_a(pool=None, order=(0, 1, 2, 3), second_padding=1, bn=True, branches=4, width0=96,
                dropout=False, unit=ConvBNReLU, stride=1):
    """An Inception-A built by hand, with one mistake switched on by the arguments."""
    c = 384
    pool = pool or nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    built = [
        ConvBNReLU(c, width0, 1, bn=bn),
        nn.Sequential(ConvBNReLU(c, 64, 1), *([nn.Dropout(0.2)] if dropout else []),
                      ConvBNReLU(64, 96, 3, padding=second_padding, stride=stride)),
        nn.Sequential(ConvBNReLU(c, 64, 1), unit(64, 96, 3, padding=1), ConvBNReLU(96, 96, 3, padding=1)),
        nn.Sequential(pool, ConvBNReLU(c, 96, 1)),
    ]
    return InceptionBlock([built[i] for i in order][:branches])


def module_3a(kernel_5x5=5, pool=None, order=(0, 1, 2, 3), branches=4, padding_5x5=None, dropout=False, bn=True):
    pool = pool or nn.MaxPool2d(3, stride=1, padding=1)
    padding_5x5 = kernel_5x5 // 2 if padding_5x5 is None else padding_5x5
    built = [
        ConvBNReLU(192, 64, 1, bn=bn),
        nn.Sequential(ConvBNReLU(192, 96, 1), ConvBNReLU(96, 128, 3, padding=1)),
        nn.Sequential(ConvBNReLU(192, 16, 1), ConvBNReLU(16, 32, kernel_5x5, padding=padding_5x5)),
        nn.Sequential(pool, *([nn.Dropout(0.5)] if dropout else []), ConvBNReLU(192, 32, 1)),
    ]
    return InceptionBlock([built[i] for i in order][:branches])


def square_only(make_block):
    """A block class with the right branches whose output is reshaped as if every grid were square."""

    class SquareOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.branches = make_block().branches

        def forward(self, x):
            out = torch.cat([branch(x) for branch in self.branches], dim=1)
            return out.reshape(x.shape[0], -1, x.shape[3], x.shape[3])

    return SquareOnly


def clears_input(make_block):
    """A block class with the right output that zeroes its input afterwards (to "save memory")."""

    class ClearsInput(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = make_block()

        def forward(self, x):
            out = self.block(x)
            x.zero_()
            return out

    return ClearsInput


def reduction(c, a, r, d, e, *, pool=None, order=(0, 1, 2), pad=1, stride=2, bn=True, drop=False, mid=None,
              reverse=False):
    """Reduction-A (c, k=r, l=d, m=e, n=a) / v3's (c, ch3x3=a, red=r, dbl=d=e); the keywords make one mistake each."""
    layers = [ConvBNReLU(c, r, 1), ConvBNReLU(r, mid or d, 3, padding=pad), ConvBNReLU(mid or d, e, 3, stride=stride)]
    if drop:
        layers.insert(1, nn.Dropout(0.1))
    if reverse:
        layers[1], layers[2] = ConvBNReLU(r, d, 3, stride=stride), ConvBNReLU(d, e, 3, padding=1)
    branches = [ConvBNReLU(c, a, 3, stride=2, bn=bn), nn.Sequential(*layers), pool or nn.MaxPool2d(3, stride=2)]
    return InceptionBlock([branches[i] for i in order])


def reduction_a(c, k, l, m, n, **mistake):  # noqa: E741
    return reduction(c, n, k, l, m, **mistake)


def grid_reduction(c, ch3x3, red, dbl, **mistake):
    return reduction(c, ch3x3, red, dbl, dbl, **mistake)


class Network(nn.Module):
    """Stages in order, then global average pool -> dropout -> fc (``head`` changes the head)."""

    def __init__(self, stages, features, num_classes, p=0.2, head="avg"):
        super().__init__()
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(p)
        self.fc = nn.Linear(features, num_classes)
        self.head = head

    def forward(self, x):
        x = self.stages(x)
        if self.head == "max":
            x = x.amax((2, 3))
        elif self.head == "squeeze":
            x = x.mean((2, 3), keepdim=True).squeeze()  # also squeezes a batch of one
        elif self.head == "relu":
            x = torch.relu(x.mean((2, 3)) - 0.1)
        else:
            x = x.mean((2, 3))
        if self.head == "late":
            return self.dropout(self.fc(x))
        return self.fc(self.dropout(x))
