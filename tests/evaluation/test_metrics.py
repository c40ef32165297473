"""Top-k error on scores whose ranking is known."""

import pytest
import torch

from inception_course.evaluation import topk_accuracy, topk_correct, topk_error, topk_hits


def test_topk_error_counts_where_the_true_class_ranks():
    # Each row ranks the classes 0 > 1 > 2 > ... > 9 (descending scores).
    scores = torch.arange(10, 0, -1, dtype=torch.float32).repeat(4, 1)
    targets = torch.tensor([0, 1, 4, 9])  # true class ranked 1st, 2nd, 5th, 10th
    assert topk_correct(scores, targets, ks=(1, 2, 5)) == {1: 1, 2: 2, 5: 3}
    assert topk_error(scores, targets) == {1: 75.0, 5: 25.0}
    assert topk_accuracy(scores, targets) == {1: 25.0, 5: 75.0}


def test_k_above_the_number_of_classes_counts_everything_correct():
    scores = torch.tensor([[0.2, 0.8], [0.9, 0.1]])
    assert topk_error(scores, torch.tensor([0, 1])) == {1: 100.0, 5: 0.0}


def test_bad_shapes_are_explained():
    with pytest.raises(ValueError, match="expected scores"):
        topk_error(torch.zeros(3, 10), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="at least one"):
        topk_error(torch.zeros(0, 10), torch.zeros(0, dtype=torch.long))


def test_topk_hits_count_on_the_device_and_cap_k():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.05, 0.15], [0.2, 0.3, 0.5]])
    targets = torch.tensor([1, 2, 0])
    assert topk_hits(logits, targets, ks=(1, 2, 5)).tolist() == [1, 2, 3]
