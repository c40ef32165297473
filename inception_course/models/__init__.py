"""The Inception family, one module per network, built from paper-named blocks.

Importing this package registers every network with :func:`create_model`.

* :func:`create_model`, :func:`list_models` - build a network by name (``pretrained=True`` for weights);
* :func:`describe` - the stage table (output shape, parameters, multiply-adds) of a network;
* :func:`draw`, :func:`draw_network` - a block or a whole network drawn as the paper draws it;
* :func:`render_differences` - where the paper's figures and the reference code disagree;
* :func:`convert_reference_state_dict` - timm / torchvision weights renamed onto ours;
* :func:`fuse_for_inference` - an eval-only copy with batch norm folded and parallel 1x1 convs merged.
"""

from . import bn_inception, googlenet, inception_resnet, inception_v3, inception_v4  # noqa: F401  (register)
from .convert import convert_reference_state_dict
from .describe import StageTable, describe
from .differences import DIFFERENCES, differences, render_differences
from .draw import draw, draw_network
from .factory import create_model
from .fuse import fuse_for_inference
from .registry import list_models

__all__ = [
    "create_model",
    "list_models",
    "describe",
    "StageTable",
    "draw",
    "draw_network",
    "DIFFERENCES",
    "differences",
    "render_differences",
    "convert_reference_state_dict",
    "fuse_for_inference",
]
