"""inception-course: the Inception family of CNNs, built block by block and trained step by step.

Start with :func:`create_model` and :func:`list_models`; the lessons in ``lessons/`` show the rest.
"""

from .models import create_model, list_models

__version__ = "0.1.0"
REPO_URL = "https://github.com/inception-course/inception-course"

__all__ = ["create_model", "list_models", "__version__", "REPO_URL"]
