"""The Inception family, one module per network, built from paper-named blocks.

Importing this package registers every network with :func:`create_model`.
"""

from . import bn_inception, googlenet, inception_resnet, inception_v3, inception_v4  # noqa: F401  (register)
from .convert import convert_reference_state_dict
from .registry import create_model, list_models

__all__ = ["create_model", "list_models", "convert_reference_state_dict"]
