"""Checkers for the lessons' exercises.

Each ``check_*`` function takes what the student built (a module, a class or a function), compares
it with the library's own implementation, prints a short report and returns a
:class:`CheckResult` (``result.passed``, ``result.messages``). A wrong answer never raises: it
becomes a message that says, in plain words, what to fix.

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
"""

from .activations import check_zero_fractions
from .arithmetic import check_output_size
from .blocks import check_inception_a, check_inception_v1_module
from .crops import check_crops_144
from .factorization import check_factorized_conv
from .fold import check_fold_bn
from .optim import check_rmsprop_tf
from .residual import check_residual_scaling
from .result import CheckResult

__all__ = [
    "CheckResult",
    "check_crops_144",
    "check_factorized_conv",
    "check_fold_bn",
    "check_inception_a",
    "check_inception_v1_module",
    "check_output_size",
    "check_residual_scaling",
    "check_rmsprop_tf",
    "check_zero_fractions",
]
