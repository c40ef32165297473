"""library_parts / refuse_library: the library's own code is found however it is handed in
(instance, subclass, deep wrapper, borrowed method, helper function, closure, partial, local
import, its layers re-wrapped), while the parts an exercise allows and the objects a checker hands
in are not."""

import copy
import functools

import torch
from torch import nn

import inception_course as ic
from inception_course.exercises.checking.authorship import library_parts, owners, refuse_library
from inception_course.exercises.checking.result import Report
from inception_course.experiments.activations import activation_statistics, measured_blocks
from inception_course.models.inception_v4 import InceptionA
from inception_course.models.layers import ConvBNReLU, InceptionBlock

A = "inception_course.models.inception_v4.InceptionA"
PARTS = (ConvBNReLU, InceptionBlock)


def nest(module, depth):
    for _ in range(depth):
        module = nn.Sequential(module)
    return module


class Borrowing(nn.Module):
    def forward(self, x):
        return ic.models.inception_v4.InceptionA.forward(self, x)


def helper(model, images):
    return activation_statistics(model, images)


def uses_helper(model, images):
    return {row.block: row.zero_fraction for row in helper(model, images)}


def local_import(model, images):
    from inception_course.experiments.activations import activation_statistics as stats

    return stats(model, images)


def own(model, images):
    return {name: 0.0 for name, _ in measured_blocks(model)}


def test_the_library_is_found_however_it_is_handed_in():
    assert library_parts(InceptionA(384), allowed=PARTS) == [A]
    assert library_parts(nest(InceptionA(384), 12), allowed=PARTS) == [A]
    assert library_parts(type("Sub", (InceptionA,), {})(384), allowed=PARTS) == [A]
    assert A in library_parts(Borrowing(), allowed=PARTS)
    stats = ["inception_course.experiments.activations.activation_statistics"]
    experiments = ("inception_course.experiments",)
    for fn in (uses_helper, local_import, functools.partial(helper), lambda m, x: helper(m, x)):
        assert library_parts(fn, forbidden=experiments, allowed=[measured_blocks]) == stats


def test_allowed_parts_and_given_objects_are_not_reported():
    block = InceptionBlock([ConvBNReLU(3, 4, 1), nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvBNReLU(3, 4, 1))])
    assert library_parts(block, allowed=PARTS) == []
    assert library_parts(own, forbidden=("inception_course.experiments",), allowed=[measured_blocks]) == []
    given = InceptionA(8).branches  # ConvBNReLUs: forbidden unless allowed, but the checker handed them in

    class Holder(nn.Module):
        def __init__(self, branches):
            super().__init__()
            self.branches = branches

    assert library_parts(Holder(given), allowed=()) != []
    assert library_parts(Holder(given), allowed=(), given=[given]) == []


def test_refusal_message_names_the_part_and_what_to_do():
    report = Report("x")
    assert refuse_library(report, InceptionA(384), allowed=PARTS, write_instead="build it from ConvBNReLU")
    assert report.messages == [
        "your submission uses the library's own implementation (InceptionA, from"
        " inception_course.models.inception_v4): the exercise is to write it yourself; build it from ConvBNReLU"
    ]
    assert not refuse_library(Report("y"), torch.nn.Conv2d(1, 1, 1))


class Mine(nn.Module):
    """A student's own class around whatever it is given."""

    def __init__(self, *parts):
        super().__init__()
        self.parts = nn.ModuleList(parts)


def test_library_layers_re_wrapped_are_found_and_named_as_such():
    from inception_course.models.inception_resnet import StemV1

    rewrapped = [
        nn.Sequential(*StemV1().children()),
        copy.deepcopy(nn.Sequential(*StemV1().children())),  # the mark survives a deep copy
        Mine(*InceptionA(384).branches),
        InceptionBlock(list(InceptionA(384).branches)),
    ]
    for submission in rewrapped:
        assert library_parts(submission, allowed=PARTS) != [], submission
        report = Report("x")
        assert refuse_library(report, submission, allowed=PARTS)
        assert report.messages[0].startswith("your submission is made of layers taken from the library's own")
        assert "wrapped in a new container or class they are still the library's" in report.messages[0]


def test_a_student_s_own_modules_and_allowed_blocks_carry_no_foreign_mark():
    own = InceptionBlock([ConvBNReLU(3, 4, 1), nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvBNReLU(3, 4, 1))])
    assert library_parts(Mine(*own.branches), allowed=PARTS) == []  # held by an allowed InceptionBlock: fine
    assert owners(nn.Conv2d(1, 1, 1)) == ()
    assert InceptionA in owners(InceptionA(8).branches[0])
    given = InceptionA(8).branches
    assert library_parts(Mine(*given), allowed=PARTS, given=[given]) == []  # what a checker hands in is not the student's
