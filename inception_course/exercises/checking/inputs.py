"""What a checker hands to a student's code: drawn afresh for each call, and checked unchanged after it.

:func:`fresh_generator` seeds the inputs a checker draws for one call, so that a wrong answer that
fits one fixed input (a palindromic depth tuple, an odd grid, one batch size) cannot pass every call.
:class:`Untouched` remembers those inputs and names any the student's code changed in place: the
caller (the trainer, the evaluator) still needs them as they were.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
from torch import nn

from .result import Report

IN_PLACE = (
    "leave the input as it is and compute new tensors (no x.add_(...), x += ..., x[...] = ... or"
    " inplace=True applied to the input: the caller may still need it)"
)


def fresh_generator() -> tuple[torch.Generator, int]:
    """A generator seeded afresh for each checker call (and its seed, to name in messages): the
    inputs drawn from it differ from call to call, so only a right answer passes every call."""
    seed = int.from_bytes(os.urandom(4), "little")
    return torch.Generator().manual_seed(seed), seed


def _leaves(value: Any, where: str) -> list[tuple[str, Any, Any]]:
    """``(where, value, snapshot)`` for ``value`` and everything inside it: a tensor's values and
    PyTorch's count of in-place writes to it, a module's mode, weights and buffers, which items a
    container holds, and a copy of anything else."""
    if isinstance(value, torch.Tensor):
        return [(where, value, (value.detach().clone(), value._version))]
    if isinstance(value, nn.Module):
        return [(where, value, (value.training, {k: t.detach().clone() for k, t in value.state_dict().items()}))]
    if isinstance(value, (list, tuple, dict)):
        items = list(value.items() if isinstance(value, dict) else enumerate(value))
        found = [(where, value, _contents(value))]
        for key, item in items:
            found += _leaves(item, f"{where}[{key!r}]")
        return found
    return [(where, value, copy.deepcopy(value))]


def _contents(container: list | tuple | dict) -> list[tuple[str, int]]:
    """Which objects a container holds, under which keys: an item replaced, added or removed shows."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    return sorted((repr(key), id(item)) for key, item in items)


def _is_changed(value: Any, snapshot: Any) -> bool:
    if isinstance(value, torch.Tensor):
        saved, version = snapshot
        return value._version != version or value.shape != saved.shape or not torch.equal(value.detach(), saved)
    if isinstance(value, nn.Module):
        training, state = snapshot
        now = value.state_dict()
        return value.training != training or now.keys() != state.keys() or any(
            now[k].shape != t.shape or not torch.equal(now[k], t) for k, t in state.items())
    if isinstance(value, (list, tuple, dict)):
        return _contents(value) != snapshot
    try:
        return bool(value != snapshot)
    except Exception:  # noqa: BLE001 - a value that cannot be compared counts as changed
        return True


class Untouched:
    """Remembers what a checker hands to the student's code; :meth:`changed` names what came back
    modified in place: a tensor written to (even where no value changed: ``x.relu_()`` on an
    all-positive tensor is still caught), a module's weights, buffers or mode, an item of a list or dict replaced, added or removed.

    Named inputs are reported by name; positional ones, which have none, by where the changed tensor
    sits (``"argument 2[1]['y'], a tensor of shape (2,)"``).

    >>> inputs = Untouched(x, labels); output, error = run(student_fn, x, labels); inputs.changed()
    >>> kept = Untouched(images=images); ...; kept.refuse_changes(report, "your function")
    """

    def __init__(self, *args: Any, **named: Any) -> None:
        inputs = {f"argument {i + 1}": (value, False) for i, value in enumerate(args)}
        inputs.update({name: (value, True) for name, value in named.items()})
        self.inputs = {name: value for name, (value, _) in inputs.items()}
        self._leaves = {name: (is_named, _leaves(value, name)) for name, (value, is_named) in inputs.items()}

    def changed(self) -> list[str]:
        """The inputs changed in place, in words (empty when none was)."""
        found = []
        for name, (is_named, leaves) in self._leaves.items():
            where = next((w for w, value, snapshot in leaves if _is_changed(value, snapshot)), None)
            if where is not None:
                value = next(v for w, v, _ in leaves if w == where)
                shape = f", a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else ""
                found.append(name if is_named else where + shape)
        return found

    def refuse_changes(self, report: Report, what: str = "your function") -> bool:
        """Fail ``report`` (and return True) when an input was modified in place."""
        changed = self.changed()
        if changed:
            report.fail(
                f"{what} changed its input{'s' if len(changed) > 1 else ''} {', '.join(changed)} in place: the caller"
                " gets its data back altered; work on copies or with out-of-place operations (x * s, not x.mul_(s);"
                " no x += ...), and leave a model's weights and mode as they came"
            )
            return True
        return False
