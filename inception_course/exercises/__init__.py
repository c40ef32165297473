"""Checkers for the lessons' exercises.

Each ``check_*`` function takes what the student built (a module, a class or a function), compares
it with the library's own implementation, prints a short report and returns a
:class:`CheckResult` (``result.passed``, ``result.messages``). A checker never raises, whatever it
is handed: a wrong answer becomes a message that says, in plain words, what to fix, and handing in
the library's own implementation is refused. :func:`results_log` lists this kernel's results (the
grading command, ``python -m inception_course.grade``, collects them per exercise).

==============================  =======  ======================================================
checker                         lesson   the student provides
==============================  =======  ======================================================
check_inception_v1_module       01       GoogLeNet's module 3a, built (an ``nn.Module``)
check_factorized_conv           02       a class/function ``(in_channels, out_channels, n)``
check_output_size               03       a function ``(size, kernel, stride, padding) -> int``
check_inception_a               04       an Inception-A block, built (an ``nn.Module``)
check_residual_scaling          05       a residual block class ``(branches, concat_channels,
                                         out_channels, scale)``
check_zero_fractions            06       a function ``(model, images)`` -> ``{block: zero fraction}``
check_rmsprop_tf                07       a function ``(param, grad, ms, mom, lr, decay, eps,
                                         momentum)`` -> the new ``(param, ms, mom)``
check_crops_144                 09       a function ``(image, crop_size)`` -> the 144 views
check_fold_bn                   09       a function ``(conv_bn_relu_layer)`` -> folded ``(weight, bias)``
==============================  =======  ======================================================

The exercises added for the 30 self-checking exercises (one module per topic):

===============================  =======  =====================================================
checker                          lesson   the student provides
===============================  =======  =====================================================
check_module_macs                01       ``(c_in, row, grid)`` -> the four branches' multiply-adds
check_aux_classifier             01       a class ``(in_channels, num_classes)``: the aux head
check_aux_loss                   01       ``(outputs, labels, aux_weights)`` -> the total loss
check_label_smoothing            02       ``(logits, labels, smoothing)`` -> the smoothed loss
check_grid_reduction             02       a class ``(in_channels, ch3x3, dbl3x3red, dbl3x3)``
check_stem_shapes                03       ``(image_size)`` -> the six shapes through the v4 stem
check_inception_resnet_v1_stem   03       the Inception-ResNet-v1 stem, built
check_reduction_a                04       a class ``(in_channels, k, l, m, n)``
check_inception_v4               04       ``(num_classes, width, depths)`` -> Inception-v4 from blocks
check_inception_resnet_b         05       Inception-ResNet-v1's B block, built
check_inception_resnet_v1        05       ``(num_classes, width, depths)`` -> IR-v1 from blocks
check_residual_ratios            06       ``(model, images)`` -> ``{residual block: ratio}``
check_died                       06       ``(zero_fractions, threshold, tail)`` -> bool
check_lr_schedule                07       ``(step, steps_per_epoch, base_lr, warmup_epochs)`` -> lr
check_weight_average             07       ``(average, weights, decay, num_updates)`` -> new average
check_train_step                 07       ``(model, images, labels, optimizer, ema, aux_weights,
                                          clip_norm, smoothing)`` -> the loss
check_first_epoch_below          08       ``(run, error, metric)`` -> first epoch at/below error
check_shared_target              08       ``(runs, metric)`` -> the lowest error all runs reach
check_speed_up                   08       ``(plain, residual, metric)`` -> epochs ratio
check_topk_error                 09       ``(scores, targets, k)`` -> top-k error in percent
check_crops_12                   09       ``(image, crop_size)`` -> the 12 views
check_ensemble_average           09       ``(models, images)`` -> averaged probabilities
check_residual_block             05       ``(in_channels, out_channels, stride)`` -> ResNet's block
                                          (the ResNet primer)
===============================  =======  =====================================================
"""

from .activations import check_zero_fractions
from .arithmetic import check_output_size
from .blocks import check_inception_a, check_inception_v1_module
from .crops import check_crops_144
from .factorization import check_factorized_conv
from .fold import check_fold_bn
from .optim import check_rmsprop_tf
from .residual import check_residual_scaling
from .result import CheckResult, results_log

from .comparison import check_first_epoch_below, check_shared_target, check_speed_up  # noqa: E402,I001
from .evaluation_checks import check_crops_12, check_ensemble_average, check_topk_error  # noqa: E402
from .googlenet import check_aux_classifier, check_module_macs  # noqa: E402
from .losses import check_aux_loss, check_label_smoothing  # noqa: E402
from .networks import check_inception_resnet_v1, check_inception_v4  # noqa: E402
from .reductions import check_grid_reduction, check_reduction_a  # noqa: E402
from .resnet_blocks import check_inception_resnet_b  # noqa: E402
from .resnet_primer import check_residual_block  # noqa: E402
from .scaling_checks import check_died, check_residual_ratios  # noqa: E402
from .stems import check_inception_resnet_v1_stem, check_stem_shapes  # noqa: E402
from .training_checks import check_lr_schedule, check_train_step, check_weight_average  # noqa: E402

__all__ = [
    "CheckResult",
    "check_crops_144",
    "check_residual_block",
    "check_factorized_conv",
    "check_fold_bn",
    "check_inception_a",
    "check_inception_v1_module",
    "check_output_size",
    "check_residual_scaling",
    "check_rmsprop_tf",
    "check_zero_fractions",
    "results_log",
]
__all__ += [  # the exercises added for the 30 self-checking exercises
    "check_aux_classifier", "check_aux_loss", "check_crops_12", "check_died", "check_ensemble_average",
    "check_first_epoch_below", "check_grid_reduction", "check_inception_resnet_b", "check_inception_resnet_v1",
    "check_inception_resnet_v1_stem", "check_inception_v4", "check_label_smoothing", "check_lr_schedule",
    "check_module_macs", "check_reduction_a", "check_residual_ratios", "check_shared_target", "check_speed_up",
    "check_stem_shapes", "check_topk_error", "check_train_step", "check_weight_average",
]
