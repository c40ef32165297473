"""``fuse_for_inference(model)``: the same function, computed with fewer and larger operations.

Three rewrites, each exact up to float rounding, give an eval-only copy of a network:

* **Batch norm folded into the conv before it.** In eval mode batch norm is a per-channel affine
  map ``y = gamma * (z - mean) / sqrt(var + eps) + beta`` of the conv output ``z = W * x``, so the
  conv with weights ``W * gamma / sqrt(var + eps)`` (scaled per output channel) and bias
  ``beta - gamma * mean / sqrt(var + eps)`` computes ``y`` directly (PyTorch's
  ``torch.nn.utils.fusion.fuse_conv_bn_eval`` does the arithmetic).
* **Parallel 1x1 convs merged.** Most Inception blocks open several branches with a 1x1 conv on the
  same input (Inception-A's three, an Inception-ResNet block's first 1x1s). Stacked along the output
  channels they are one 1x1 conv whose output is split again: one large matrix product instead of
  several small ones, and the input is read once. The reference implementations cannot do this:
  their module layout is fixed by the names in the published weights.
* **Channels-last memory format**, the layout the CPU (oneDNN) and GPU (cuDNN) conv kernels prefer.
  On the CPU every 1x1 conv also runs on oneDNN (:class:`Conv1x1`), which single-threaded PyTorch
  otherwise skips for them.

``dtype=torch.bfloat16`` gives the same copy with its weights in bfloat16: it takes float32 input
and returns float32 output, computing in between in bf16 (8 significant bits instead of float32's 24). On a
CPU with native bf16 dot products (``avx512_bf16`` or AMX, see :mod:`inception_course.cpu`) that is
the fast path; elsewhere oneDNN emulates bf16 through fp32 and it is slower than fp32.

Inception-ResNet blocks also get their residual ``scale`` folded into the filter-expansion conv.
Modules that are not the course's blocks (a timm network inside an ensemble, say) keep their
layout and batch norms; they only get eval mode, channels-last and the oneDNN 1x1 convs.
"""

from __future__ import annotations

import copy
import types

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .base import is_tracing
from .layers import ConvBNReLU, InceptionBlock, ResidualInceptionBlock


class Conv1x1(nn.Conv2d):
    """A plain 1x1 conv that always runs on oneDNN on the CPU.

    For a single thread and batches under 16, PyTorch sends 1x1 convs to its generic im2col + GEMM
    kernel (ATen's ``use_mkldnn`` rule, written when that was faster single-threaded). Whether oneDNN
    is faster depends on the CPU: on an AVX2 EPYC it made whole networks 6-23% faster, on an
    AVX-512 EPYC it changed nothing measurable for Inception-v4 (the README's Speed section;
    ``benchmarks/inference_speed.py`` measures it). It never measured slower, so it stays.
    Elsewhere (GPU, other dtypes, autocast, tracing) it is an ordinary ``nn.Conv2d``.
    """

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> Conv1x1:
        weight = conv.weight
        new = cls(conv.in_channels, conv.out_channels, 1, bias=conv.bias is not None,
                  device=weight.device, dtype=weight.dtype)
        new.load_state_dict(conv.state_dict())
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _onednn_fp32(x, self.weight):
            return torch.mkldnn_convolution(x, self.weight, self.bias, [0, 0], [1, 1], [1, 1], 1)
        return super().forward(x)


def _onednn_fp32(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """True when ``torch.mkldnn_convolution`` computes exactly what ``F.conv2d`` would."""
    if is_tracing() or not torch.backends.mkldnn.is_available():
        return False
    if x.device.type != "cpu" or x.dtype != torch.float32 or weight.dtype != torch.float32:
        return False
    return not _cpu_autocast()


def _cpu_autocast() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4
        return torch.is_autocast_cpu_enabled()


class FusedInceptionBlock(nn.Module):
    """An :class:`InceptionBlock` whose branches' leading 1x1 convs run as one conv (``head``).

    ``relu(head(x))`` is split into ``sizes``; branch ``i`` continues with ``tails[i]`` on part
    ``sources[i]`` of that split, or, where ``sources[i]`` is -1 (a branch that does not open with a
    1x1 conv), runs ``tails[i]`` on ``x`` itself. Outputs are concatenated in the original order.
    """

    def __init__(self, head: nn.Conv2d, sizes: list[int], tails: list[nn.Module], sources: list[int]) -> None:
        super().__init__()
        self.head = head
        self.sizes = sizes
        self.tails = nn.ModuleList(tails)
        self.sources = sources

    def branch_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        parts = self.head(x).relu_().split(self.sizes, dim=1)
        return [tail(x if source < 0 else parts[source]) for tail, source in zip(self.tails, self.sources)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(self.branch_outputs(x), dim=1)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, sources={self.sources}"


class FusedResidualBlock(FusedInceptionBlock):
    """A :class:`ResidualInceptionBlock` fused the same way; ``up`` already holds the residual scale."""

    def __init__(self, block: FusedInceptionBlock, up: nn.Conv2d, act: nn.Module) -> None:
        super().__init__(block.head, block.sizes, list(block.tails), block.sources)
        self.up = up
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.up(torch.cat(self.branch_outputs(x), dim=1)))


def fuse_for_inference(
    model: nn.Module, onednn_1x1: bool = True, dtype: torch.dtype = torch.float32, merge_1x1: bool = True
) -> nn.Module:
    """An eval-only copy of ``model`` that computes the same outputs faster (see the module docstring).

    ``model`` itself is not changed. The copy has no batch norm left, so it cannot be trained:
    calling ``.train()`` on it raises; train the original and fuse again. Its outputs equal the
    original's in eval mode up to float rounding (``tests/models/test_fuse.py`` checks 1e-4).
    ``dtype=torch.bfloat16`` computes in bf16 (float32 in and out; see the module docstring).
    ``onednn_1x1=False`` leaves 1x1 convs to PyTorch's own choice of kernel and ``merge_1x1=False``
    keeps every branch's own 1x1 conv: both only to measure what each rewrite gains
    (``benchmarks/inference_speed.py``).
    """
    if dtype not in (torch.float32, torch.bfloat16):
        raise ValueError(f"fuse_for_inference computes in torch.float32 or torch.bfloat16, got dtype={dtype}")
    fused = copy.deepcopy(model).eval()
    for module in fused.modules():
        if isinstance(module, ConvBNReLU) and isinstance(module.bn, nn.BatchNorm2d):
            module.conv = fuse_conv_bn_eval(module.conv, module.bn)
            module.bn = nn.Identity()
    if merge_1x1:
        fused = _merge_blocks(fused)
    if onednn_1x1:
        fused = _pointwise(fused)
    fused.requires_grad_(False)
    fused.train = types.MethodType(_refuse_training, fused)  # type: ignore[method-assign]
    fused = fused.to(memory_format=torch.channels_last)
    if dtype != torch.float32:
        fused = fused.to(dtype)
        fused.register_forward_pre_hook(_inputs_to(dtype))
        fused.register_forward_hook(_outputs_to_float32)
    return fused


def _cast(value: object, dtype: torch.dtype) -> object:
    """Floating tensors in ``value`` (a tensor, or a tuple / list of them) cast to ``dtype``."""
    if isinstance(value, torch.Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, (tuple, list)):
        return type(value)(_cast(item, dtype) for item in value)
    return value


def _inputs_to(dtype: torch.dtype):  # noqa: ANN202  (a forward pre-hook)
    def hook(module: nn.Module, args: tuple) -> tuple:
        return _cast(args, dtype)  # type: ignore[return-value]

    return hook


def _outputs_to_float32(module: nn.Module, args: tuple, output: object) -> object:
    """float32 out, so that a bf16 copy is a drop-in replacement (softmax, metrics, comparisons)."""
    return _cast(output, torch.float32)


def _pointwise(module: nn.Module) -> nn.Module:
    """Every plain 1x1 conv in ``module`` replaced by :class:`Conv1x1`."""
    for name, child in module.named_children():
        setattr(module, name, _pointwise(child))
    if type(module) is nn.Conv2d and _plain_1x1(module):
        return Conv1x1.from_conv(module)
    return module


def _plain_1x1(conv: nn.Conv2d) -> bool:
    """A 1x1 conv with stride 1, no padding, no dilation and no groups: a matrix product."""
    return (
        conv.kernel_size == (1, 1) and conv.stride == (1, 1) and conv.padding in ((0, 0), "valid")
        and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros"
    )


def _refuse_training(self: nn.Module, mode: bool = True) -> nn.Module:
    if mode:
        raise RuntimeError(
            "this copy was made by fuse_for_inference for evaluation only (batch norm is folded into the"
            " convs): train the original model, then call fuse_for_inference on it again"
        )
    return nn.Module.train(self, False)


def _merge_blocks(module: nn.Module) -> nn.Module:
    """Replace, bottom-up, every block that has parallel 1x1 convs by its fused form."""
    for name, child in module.named_children():
        setattr(module, name, _merge_blocks(child))
    if not isinstance(module, (InceptionBlock, ResidualInceptionBlock)):
        return module
    fused = _merge_heads(list(module.branches))
    if fused is None:
        return module
    if isinstance(module, ResidualInceptionBlock):
        up = copy.deepcopy(module.up)
        with torch.no_grad():
            up.weight.mul_(module.scale)
            up.bias.mul_(module.scale)
        return FusedResidualBlock(fused, up, module.act)
    return fused


def _opening_1x1(branch: nn.Module) -> ConvBNReLU | None:
    """The branch's first layer when it is a folded 1x1 stride-1 conv + ReLU, else ``None``."""
    first = branch[0] if isinstance(branch, nn.Sequential) and len(branch) else branch
    if not (isinstance(first, ConvBNReLU) and isinstance(first.bn, nn.Identity)):
        return None
    return first if _plain_1x1(first.conv) and first.conv.bias is not None else None


def _merge_heads(branches: list[nn.Module]) -> FusedInceptionBlock | None:
    """The fused block when at least two branches open with a 1x1 conv on the block's input."""
    heads = [_opening_1x1(branch) for branch in branches]
    convs = [head.conv for head in heads if head is not None]
    if len(convs) < 2:
        return None
    weight = convs[0].weight
    out_channels = sum(c.out_channels for c in convs)
    merged = nn.Conv2d(convs[0].in_channels, out_channels, 1, device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        merged.weight.copy_(torch.cat([c.weight for c in convs]))
        merged.bias.copy_(torch.cat([c.bias for c in convs]))
    tails: list[nn.Module] = []
    sources: list[int] = []
    for branch, head in zip(branches, heads):
        if head is None:
            tails.append(branch)
            sources.append(-1)
            continue
        rest = list(branch)[1:] if isinstance(branch, nn.Sequential) else []
        tails.append(nn.Sequential(*rest) if rest else nn.Identity())
        sources.append(len([s for s in sources if s >= 0]))
    return FusedInceptionBlock(merged, [c.out_channels for c in convs], tails, sources)
