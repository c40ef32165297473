"""Checkers for the lessons' exercises: ``lesson01.py`` ... ``lesson10.py`` hold each lesson's
checkers in the lesson's order; ``checking/`` holds what they share (results, authorship,
comparison of modules).

Each ``check_*`` function takes what the student built (a module, a class or a function), compares
it with the library's own implementation on several inputs per call (odd and even grids, batch
sizes, widths that are not round, other settings than the paper's, drawn with a seeded generator so
that a result can be reproduced), checks that the inputs are left unchanged and that a loss
back-propagates the right gradients, prints a short report and returns a :class:`CheckResult`
(``result.passed``, ``result.messages``). A checker never raises, whatever it is handed: a wrong
answer becomes a message that says, in plain words, what to fix, and handing in the library's own
implementation (also wrapped, subclassed or re-wrapped layer by layer) or a ready-made one from
torch, timm or torchvision where the exercise asks for your own is refused. :func:`results_log` lists this
kernel's results (the grading command, ``python -m inception_course.grade``, collects them per
exercise).

===============================  =======  =====================================================
checker                          lesson   the student provides
===============================  =======  =====================================================
check_inception_v1_module        01       GoogLeNet's module 3a, built (an ``nn.Module``)
check_module_macs                01       ``(c_in, row, grid)`` -> the four branches' multiply-adds
check_aux_classifier             01       a class ``(in_channels, num_classes)``: the aux head
check_aux_loss                   01       ``(outputs, labels, aux_weights)`` -> the total loss
check_factorized_conv            02       a class/function ``(in_channels, out_channels, n)``
check_label_smoothing            02       ``(logits, labels, smoothing)`` -> the smoothed loss
check_grid_reduction             02       a class ``(in_channels, ch3x3, dbl3x3red, dbl3x3)``
check_output_size                03       a function ``(size, kernel, stride, padding) -> int``
check_stem_shapes                03       ``(image_size)`` -> the six shapes through the v4 stem
check_inception_resnet_v1_stem   03       the Inception-ResNet-v1 stem, built
check_inception_a                04       an Inception-A block, built (an ``nn.Module``)
check_reduction_a                04       a class ``(in_channels, k, l, m, n)``
check_inception_v4               04       ``(num_classes, width, depths)`` -> Inception-v4 from blocks
check_residual_block             05       ``(in_channels, out_channels, stride)`` -> ResNet's basic
                                          block (the ResNet primer)
check_residual_scaling           05       a residual block class ``(branches, concat_channels,
                                          out_channels, scale)``
check_inception_resnet_b         05       Inception-ResNet-v1's B block, built
check_inception_resnet_v1        05       ``(num_classes, width, depths)`` -> IR-v1 from blocks
check_zero_fractions             06       ``(model, images)`` -> ``{block: zero fraction}``
check_residual_ratios            06       ``(model, images)`` -> ``{residual block: ratio}``
check_died                       06       ``(zero_fractions, threshold, tail)`` -> bool
check_rmsprop_tf                 07       ``(param, grad, ms, mom, lr, decay, eps, momentum)`` ->
                                          the new ``(param, ms, mom)``
check_lr_schedule                07       ``(step, steps_per_epoch, base_lr, warmup_epochs)`` -> lr
check_weight_average             07       ``(average, weights, decay, num_updates)`` -> new average
check_train_step                 07       ``(model, images, labels, optimizer, ema, aux_weights,
                                          clip_norm, smoothing)`` -> the loss
check_first_epoch_below          08       ``(run, error, metric)`` -> first epoch at/below error
check_shared_target              08       ``(plain, residual, metric)`` -> the error both reach
check_speed_up                   08       ``(plain, residual, metric)`` -> epochs ratio
check_topk_error                 09       ``(scores, targets, k)`` -> top-k error in percent
check_crops_12                   09       ``(image, crop_size)`` -> the 12 views
check_crops_144                  09       ``(image, crop_size)`` -> the 144 views
check_ensemble_average           09       ``(models, images)`` -> averaged probabilities
check_fold_bn                    10       ``(conv_bn_relu_layer)`` -> folded ``(weight, bias)``
===============================  =======  =====================================================
"""

from .checking.result import CheckResult, results_log
from .lesson01 import check_aux_classifier, check_aux_loss, check_inception_v1_module, check_module_macs
from .lesson02 import check_factorized_conv, check_grid_reduction, check_label_smoothing
from .lesson03 import check_inception_resnet_v1_stem, check_output_size, check_stem_shapes
from .lesson04 import check_inception_a, check_inception_v4, check_reduction_a
from .lesson05 import (
    check_inception_resnet_b, check_inception_resnet_v1, check_residual_block, check_residual_scaling,
)
from .lesson06 import check_died, check_residual_ratios, check_zero_fractions
from .lesson07 import check_lr_schedule, check_rmsprop_tf, check_train_step, check_weight_average
from .lesson08 import check_first_epoch_below, check_shared_target, check_speed_up
from .lesson09 import check_crops_12, check_crops_144, check_ensemble_average, check_topk_error
from .lesson10 import check_fold_bn

__all__ = [
    "CheckResult", "results_log",
    "check_inception_v1_module", "check_module_macs", "check_aux_classifier", "check_aux_loss",  # 01
    "check_factorized_conv", "check_label_smoothing", "check_grid_reduction",  # 02
    "check_output_size", "check_stem_shapes", "check_inception_resnet_v1_stem",  # 03
    "check_inception_a", "check_reduction_a", "check_inception_v4",  # 04
    "check_residual_block", "check_residual_scaling", "check_inception_resnet_b", "check_inception_resnet_v1",  # 05
    "check_zero_fractions", "check_residual_ratios", "check_died",  # 06
    "check_rmsprop_tf", "check_lr_schedule", "check_weight_average", "check_train_step",  # 07
    "check_first_epoch_below", "check_shared_target", "check_speed_up",  # 08
    "check_topk_error", "check_crops_12", "check_crops_144", "check_ensemble_average",  # 09
    "check_fold_bn",  # 10
]
