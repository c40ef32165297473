"""Refuse a submission that is, wraps or calls the library's own implementation, or a ready-made one.

A checker compares the student's code with the library's; handing in the library's code itself
(``InceptionA(384)``, a subclass of it, a module that holds one, a function that calls
``activation_statistics``) would pass every comparison without the student writing anything.
:func:`library_parts` walks what was submitted - modules and their classes, functions and what
their code refers to (globals, attributes of imported modules, closures, default arguments),
one level of the student's own helpers after another - and lists the library objects it reaches.
Each checker says which library parts the exercise allows (``ConvBNReLU``, ``measured_blocks``).
Ready-made versions from other packages of what an exercise asks for (:data:`SHORTCUTS`: PyTorch's
batch-norm folding, timm's top-k accuracy, torchvision's five and ten crops) are refused by every
checker, wherever the submission reaches them.

The library's layers taken out of one of its blocks and wrapped again (``nn.Sequential(*StemV1().children())``,
a class of the student's holding ``InceptionA(384).branches``) are found too: from the moment this
module is imported (the lesson notebooks and the grader import the checkers first), every module
placed inside an instance of a library class remembers that class (:data:`OWNERS`), together with
the modules inside it, and keeps it through ``copy.deepcopy``. A module a library block held counts
as that block's.

This is a guard against handing in the answer, not a sandbox: code that builds names at run time
(``getattr(module, "Incep" + "tionA")``) is not followed, though what it builds is still found by
the mark above; a module built before the checkers were imported carries no mark.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from typing import Any, Iterable

from torch import nn
from torch.nn.modules.module import register_module_module_registration_hook

from .result import Report

LIBRARY = "inception_course"
ALWAYS_FORBIDDEN = ("inception_course.exercises",)  # a checker's own reference is never an answer
#: (module prefix, name; "" for anything in that module): ready-made answers to an exercise.
SHORTCUTS = (
    ("torch.nn.utils.fusion", ""),  # fuse_conv_bn_eval / _weights: folding batch norm (lesson 10)
    ("timm.utils", "accuracy"),  # top-k accuracy (lesson 9)
    ("torchvision.transforms", "five_crop"), ("torchvision.transforms", "ten_crop"),  # the crops (lesson 9)
    ("torchvision.transforms", "FiveCrop"), ("torchvision.transforms", "TenCrop"),
)
DEPTH = 6
_FOREIGN = ("site-packages", "dist-packages")
#: The attribute in which a module keeps the library classes whose instances held it (a tuple).
OWNERS = "_inception_course_owners"


def _module_name(obj: Any) -> str:
    return getattr(obj, "__module__", None) or ""


def _qualified(obj: Any) -> str:
    return f"{_module_name(obj)}.{getattr(obj, '__qualname__', getattr(obj, '__name__', type(obj).__name__))}"


def _is_shortcut(obj: Any) -> bool:
    module, name = _module_name(obj), getattr(obj, "__name__", "")
    return any(module.startswith(prefix) and name == (wanted or name) for prefix, wanted in SHORTCUTS)


def _is_students(obj: Any) -> bool:
    """Whether to look inside ``obj``: code written in the notebook (or a test), not in a package."""
    name = _module_name(obj)
    if not name or name.startswith(LIBRARY) or name == "builtins":
        return False
    if name == "__main__":
        return True
    module = sys.modules.get(name.split(".")[0])
    path = getattr(module, "__file__", None) or ""
    return not any(part in path for part in _FOREIGN) and not path.startswith(sys.base_prefix)


def _children(obj: Any) -> Iterable[Any]:
    """What ``obj`` refers to: for functions, the objects their code names; for classes, their bases
    and methods; for ``nn.Module`` instances, their class, every submodule and plain attributes."""
    if isinstance(obj, functools.partial):
        yield obj.func
        yield from obj.args
        yield from obj.keywords.values()
        return
    if inspect.ismethod(obj):
        yield obj.__func__
        yield obj.__self__
        return
    if isinstance(obj, nn.Module):
        yield type(obj)
        yield from obj.modules()
        yield from (value for value in vars(obj).values() if not isinstance(value, (dict, list, tuple, set)))
        return
    if inspect.isclass(obj):
        yield from obj.__mro__[1:]
        yield from (getattr(value, "__func__", value) for value in vars(obj).values())
        return
    if inspect.isfunction(obj):
        yield from _references(obj)
        return
    if not isinstance(obj, type) and callable(obj):  # an instance of a student's class with __call__
        yield type(obj)


def _note_owner(parent: nn.Module, name: str, child: nn.Module | None) -> None:
    """PyTorch calls this whenever a module is placed inside another: when the parent is an
    instance of a library class, mark the child and every module inside it with that class."""
    owner = type(parent)
    if child is None or not _module_name(owner).startswith(LIBRARY):
        return
    for module in child.modules():
        owners = module.__dict__.get(OWNERS, ())
        if owner not in owners:
            module.__dict__[OWNERS] = (*owners, owner)


register_module_module_registration_hook(_note_owner)


def owners(module: nn.Module) -> tuple[type, ...]:
    """The library classes whose instances held ``module`` (empty for a module only the student's code held)."""
    return module.__dict__.get(OWNERS, ())


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _references(fn: types.FunctionType) -> Iterable[Any]:
    """Objects reached from ``fn``'s code: globals and builtins it names, attributes of those named
    in the code (``ic.models.InceptionA``), closure cells and default arguments."""
    names = _code_names(fn.__code__)
    found = [fn.__globals__[name] for name in names if name in fn.__globals__]
    found += [sys.modules[name] for name in names if "." in name and name in sys.modules]  # local imports
    found += [cell.cell_contents for cell in fn.__closure__ or () if _cell_filled(cell)]
    found += list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values())
    seen = {id(obj) for obj in found}
    frontier = [obj for obj in found if isinstance(obj, types.ModuleType)]
    for _ in range(4):  # a.b.c.d: follow attribute names through imported modules
        next_frontier = []
        for module in frontier:
            for name in names:
                value = _attribute(module, name)
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
                    if isinstance(value, types.ModuleType):
                        next_frontier.append(value)
        frontier = next_frontier
    return [obj for obj in found if not isinstance(obj, types.ModuleType)]


def _attribute(module: types.ModuleType, name: str) -> Any:
    """``module.name`` or None; a module's own ``__getattr__`` may raise anything (lazy imports)."""
    try:
        return getattr(module, name, None)
    except Exception:  # noqa: BLE001
        return None


def _cell_filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def library_parts(
    submission: Any,
    forbidden: tuple[str, ...] = ("inception_course.models",),
    allowed: Iterable[Any] = (),
    given: Iterable[Any] = (),
) -> list[str]:
    """The library classes and functions (and :data:`SHORTCUTS`) that ``submission`` is, contains,
    subclasses or calls, or whose instances held the modules it is made of.

    ``forbidden`` are module prefixes (``inception_course.exercises`` is always forbidden);
    ``allowed`` are objects from them the exercise lets the student use (``ConvBNReLU``);
    ``given`` are objects the checker itself handed to the submission (branches it passed in),
    which are not looked into. Returns qualified names such as
    ``inception_course.models.inception_v4.InceptionA``, sorted, without repeats.
    """
    return sorted(_walk(submission, forbidden, allowed, given, follow_owners=True))


def _walk(
    submission: Any, forbidden: tuple[str, ...], allowed: Iterable[Any], given: Iterable[Any], follow_owners: bool
) -> set[str]:
    """The qualified names of the library parts reached from ``submission`` (see :func:`library_parts`);
    with ``follow_owners`` also the classes whose instances held its modules."""
    prefixes = tuple(forbidden) + ALWAYS_FORBIDDEN
    allowed_ids = {id(obj) for obj in allowed}
    skip = {id(obj) for item in given for obj in (item.modules() if isinstance(item, nn.Module) else [item])}
    found: set[str] = set()
    seen: set[int] = set()
    frontier = [submission]
    for _ in range(DEPTH):
        next_frontier = []
        for obj in frontier:
            if id(obj) in seen or id(obj) in skip or id(obj) in allowed_ids:
                continue
            seen.add(id(obj))
            is_code = inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)
            if is_code and (_module_name(obj).startswith(prefixes) or _is_shortcut(obj)):
                found.add(_qualified(obj))
                continue
            if follow_owners and isinstance(obj, nn.Module):
                next_frontier.extend(owners(obj))
            if isinstance(obj, (nn.Module, functools.partial, types.MethodType)) or _is_students(obj):
                next_frontier.extend(_children(obj))
        frontier = next_frontier
    return found


def refuse_library(
    report: Report,
    submission: Any,
    forbidden: tuple[str, ...] = ("inception_course.models",),
    allowed: Iterable[Any] = (),
    given: Iterable[Any] = (),
    write_instead: str = "",
) -> bool:
    """Fail ``report`` and return True when ``submission`` uses the library's implementation.

    ``write_instead`` completes the advice, e.g. ``"build the branches from ConvBNReLU"``.
    """
    allowed, given = tuple(allowed), tuple(given)
    parts = library_parts(submission, forbidden, allowed, given)
    if not parts:
        return False
    names = ", ".join(part.rsplit(".", 1)[-1] for part in parts[:3])
    where = parts[0].rsplit(".", 1)[0]
    if not _walk(submission, forbidden, allowed, given, follow_owners=False):  # found only through OWNERS
        report.fail(
            f"your submission is made of layers taken from the library's own {names} (from {where}): wrapped"
            " in a new container or class they are still the library's; the exercise is to write it yourself"
            + (f"; {write_instead}" if write_instead else "")
        )
        return True
    whose = "the library's own implementation" if parts[0].startswith(LIBRARY) else "a ready-made implementation"
    report.fail(
        f"your submission uses {whose} ({names}, from {where}): the exercise is to"
        " write it yourself" + (f"; {write_instead}" if write_instead else "")
    )
    return True
