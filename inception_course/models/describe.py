"""``describe(model, image_size)``: what each stage of a network outputs, holds and costs.

One forward pass with hooks fills a :class:`StageTable`, one row per stage (a module path such as
``stem`` or ``blocks.3``): output shape, parameter count and multiply-adds. Printing the table puts
the paper's figure captions next to the code - e.g. Inception-v4 at 299 px ends its stages with
384 x 35 x 35, 1024 x 17 x 17 and 1536 x 8 x 8 (the paper writes the same as 35x35x384: height x
width x channels; PyTorch puts channels first, and so does this table).

What is counted as multiply-adds (MACs, per image): every ``nn.Conv2d`` (output elements x
``in_channels / groups`` x kernel height x kernel width) and every ``nn.Linear`` (output elements x
``in_features``), counted each time the layer runs. Not counted: batch norm, ReLU, pooling, the
residual additions, concatenations and biases. They are small next to the convolutions but not
nothing: counters that include them (ptflops, for one) report a total about 1% higher for GoogLeNet.
Leaving them out matches how the papers quote "multiply-adds".

The pass runs in eval mode without gradients, so modules that only run in training (the auxiliary
classifiers of GoogLeNet and Inception-v3) show their parameters but no shape and no MACs.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

Shape = tuple[int, ...]


@dataclass(frozen=True)
class StageRow:
    """One line of a :class:`StageTable`.

    ``shape`` is the output shape of one image (``(C, H, W)`` for feature maps, ``(F,)`` after
    flattening); ``shape`` and ``macs`` are ``None`` for a stage that did not run in eval mode.
    """

    stage: str
    kind: str
    shape: Shape | None
    params: int
    macs: int | None

    def cells(self) -> list[str]:
        """The row as display strings: stage, type, shape, parameters, multiply-adds."""
        shape = " x ".join(str(n) for n in self.shape) if self.shape is not None else "-"
        macs = f"{self.macs:,}" if self.macs is not None else "-"
        return [self.stage, self.kind, shape, f"{self.params:,}", macs]


class StageTable:
    """The result of :func:`describe`: ``rows`` (one :class:`StageRow` per stage) and ``total``.

    ``table["stem"]`` looks a stage up by name; ``print(table)``, ``table.to_markdown()`` and a
    notebook's rich display (``_repr_html_``) show it with thousands separators.
    """

    headers = ("stage", "type", "output (C x H x W)", "parameters", "multiply-adds")

    def __init__(self, rows: list[StageRow], total: StageRow, image_size: tuple[int, int]) -> None:
        self.rows = rows
        self.total = total
        self.image_size = image_size

    def __getitem__(self, stage: str) -> StageRow:
        for row in self.rows:
            if row.stage == stage:
                return row
        names = ", ".join(row.stage for row in self.rows)
        raise KeyError(f"no stage named {stage!r}; stages: {names}")

    def __iter__(self) -> Iterator[StageRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def _body(self) -> list[list[str]]:
        total = self.total.cells()
        total[2] = ""  # the total has no shape of its own
        return [*(row.cells() for row in self.rows), total]

    def __str__(self) -> str:
        lines = [list(self.headers), *self._body()]
        widths = [max(len(line[i]) for line in lines) for i in range(len(self.headers))]
        numeric = {2, 3, 4}  # right-aligned columns

        def fmt(line: list[str]) -> str:
            cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
            return "  ".join(cells).rstrip()

        rule = "  ".join("-" * w for w in widths)
        body = [fmt(line) for line in lines[1:]]
        return "\n".join([fmt(lines[0]), rule, *body[:-1], rule, body[-1]])

    def __repr__(self) -> str:
        h, w = self.image_size
        return f"StageTable({len(self.rows)} stages at {h}x{w} px)\n{self}"

    def to_markdown(self) -> str:
        """The table as GitHub-flavoured Markdown (numbers right-aligned, total in bold)."""
        lines = [
            "| " + " | ".join(self.headers) + " |",
            "|" + "|".join([":---", ":---", "---:", "---:", "---:"]) + "|",
        ]
        body = self._body()
        body[-1] = [f"**{cell}**" if cell else cell for cell in body[-1]]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.headers)
        rows = []
        for i, cells in enumerate(self._body()):
            tag = "th" if i == len(self.rows) else "td"
            tds = "".join(
                f'<{tag} style="text-align:{"right" if j >= 2 else "left"}">{html.escape(c)}</{tag}>'
                for j, c in enumerate(cells)
            )
            rows.append(f"<tr>{tds}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def describe(
    model: nn.Module,
    image_size: int | tuple[int, int],
    depth: int = 1,
    batch_size: int = 1,
    in_chans: int | None = None,
) -> StageTable:
    """Run ``model`` once on a random ``batch_size x in_chans x H x W`` input and tabulate its stages.

    ``depth`` is how far down the module tree the rows go: 1 lists the model's children, 2 their
    children as well, and so on (a module with no children at that depth is listed as is). Rows
    come in the order the stages ran; stages that did not run come last. Shapes and MACs are per
    image. ``in_chans`` defaults to the model's ``in_chans`` attribute, else the first conv's input
    channels (so a single block can be described too). The model's train/eval mode is restored.
    """
    height, width = _pair(image_size)
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    channels = in_chans or getattr(model, "in_chans", None) or _first_conv_in_channels(model)
    first = next(model.parameters(), None)
    device, dtype = (first.device, first.dtype) if first is not None else (torch.device("cpu"), torch.float32)
    x = torch.randn(batch_size, channels, height, width, device=device, dtype=dtype)

    stages = _stages(model, depth)
    shapes: dict[str, Shape | None] = {}
    order: list[str] = []
    macs: dict[nn.Module, int] = {}

    def record_stage(name: str):
        def hook(module: nn.Module, inputs: tuple, output: object) -> None:
            if name not in shapes:
                order.append(name)
            shapes[name] = tuple(output.shape[1:]) if isinstance(output, torch.Tensor) else None

        return hook

    def count_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        per_image = output.numel() // output.shape[0]
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            cost = per_image * (module.in_channels // module.groups) * kh * kw
        else:
            cost = per_image * module.in_features
        macs[module] = macs.get(module, 0) + cost

    handles = [module.register_forward_hook(record_stage(name)) for name, (module, _) in stages.items()]
    handles += [m.register_forward_hook(count_macs) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()

    rows = []
    for name in order + [n for n in stages if n not in shapes]:
        module, recurse = stages[name]
        ran = name in shapes
        stage_macs = sum(macs.get(m, 0) for m in (module.modules() if recurse else [module]))
        rows.append(
            StageRow(
                stage=name,
                kind=type(module).__name__,
                shape=shapes.get(name),
                params=sum(p.numel() for p in module.parameters(recurse=recurse)),
                macs=stage_macs if ran else None,
            )
        )
    total = StageRow("total", "", None, sum(r.params for r in rows), sum(macs.values()))
    return StageTable(rows, total, (height, width))


def _stages(model: nn.Module, depth: int) -> dict[str, tuple[nn.Module, bool]]:
    """Module path -> (module, whether its row covers its children too), in registration order.

    A module expanded into its children keeps a row of its own only when it holds parameters
    directly (not through a child), so that the rows' parameters always add up to the model's.
    ``ModuleList``/``ModuleDict`` containers never run themselves, so they are always expanded and
    do not count as a level (``depth=2`` on a block lists ``branches.0``, ``branches.1``...).
    """
    stages: dict[str, tuple[nn.Module, bool]] = {}

    def visit(module: nn.Module, prefix: str, level: int) -> None:
        children = list(module.named_children())
        if isinstance(module, (nn.ModuleList, nn.ModuleDict)) and prefix:
            level -= 1  # never called itself: its children are the real stages
        elif level == depth or not children:
            stages[prefix or type(module).__name__] = (module, True)
            return
        if any(True for _ in module.parameters(recurse=False)):
            stages[prefix or type(module).__name__] = (module, False)
        for name, child in children:
            visit(child, f"{prefix}.{name}" if prefix else name, level + 1)

    visit(model, "", 0)
    return stages


def _pair(image_size: int | tuple[int, int]) -> tuple[int, int]:
    """``image_size`` as ``(height, width)``, or a ``ValueError`` saying what is accepted."""
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f"image_size must be a positive int or a (height, width) pair, got {image_size!r}")
    return size


def _first_conv_in_channels(model: nn.Module) -> int:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    raise ValueError(
        f"cannot tell how many input channels {type(model).__name__} takes: it has no Conv2d and no"
        " in_chans attribute; pass describe(..., in_chans=C)"
    )
