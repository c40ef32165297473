"""Evaluation as the paper did it: top-k error, 1/12/144 crops, ensembles, paper-layout tables, predictions.

* :func:`crops` - the views of one un-cropped image under ``"single"``, ``"12"`` or ``"144"``;
  :func:`crop_boxes` - where each view comes from; :func:`draw_crops` / :func:`show_views` draw them;
* :func:`topk_error` - top-k error (percent) of a batch of scores;
* :func:`evaluate` - a network or :class:`Ensemble` over a data set -> :class:`EvalResult`
  (batched, autocast on GPU, ``limit`` and ``resume_path`` for long 144-crop runs);
* :func:`results_table` - paper rows (:data:`PAPER_TABLES`) and measured ones, side by side;
* :func:`save_record` / :func:`load_record` - results with provenance in a JSON file;
* :func:`predict` - the top-5 ImageNet classes of a photo;
* :func:`precision_trade` - bf16 against float32 inference on labelled images: agreement, largest
  probability difference, accuracy of each, time ratio (``evaluate`` and ``predict`` compute in bf16
  by default only on a CPU with native bf16).

Published weights come from ``create_model(name, pretrained=True)`` (see
:mod:`inception_course.models.pretrained` and ``docs/pretrained.md``).
"""

from .crops import SCHEMES, CropBox, crop_boxes, crops, scales_for
from .draw_crops import draw_crops, painted_landscape, show_image, show_views
from .ensemble import Ensemble
from .evaluate import evaluate, evaluation_dataset, raw_image_transform
from .metrics import topk_accuracy, topk_correct, topk_error, topk_hits
from .precision import inference_dtype
from .precision_trade import PrecisionTrade, precision_trade
from .predict import predict
from .records import EvalResult, load_record, save_record
from .tables import PAPER_NAMES, PAPER_TABLES, ResultRow, ResultsTable, paper_results, results_table

__all__ = [
    "SCHEMES",
    "CropBox",
    "crop_boxes",
    "crops",
    "scales_for",
    "draw_crops",
    "painted_landscape",
    "show_image",
    "show_views",
    "Ensemble",
    "evaluate",
    "evaluation_dataset",
    "raw_image_transform",
    "topk_accuracy",
    "topk_correct",
    "topk_error",
    "topk_hits",
    "predict",
    "PrecisionTrade",
    "inference_dtype",
    "precision_trade",
    "EvalResult",
    "load_record",
    "save_record",
    "PAPER_NAMES",
    "PAPER_TABLES",
    "ResultRow",
    "ResultsTable",
    "paper_results",
    "results_table",
]
