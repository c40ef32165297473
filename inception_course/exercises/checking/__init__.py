"""The machinery every lesson's checkers share (the checkers themselves are in ``lesson01.py`` ...).

* :mod:`.result`: the ``@checker`` guard (a checker never raises; each result is recorded for the
  grader) and :class:`~.result.CheckResult`;
* :mod:`.authorship`: refuses the library's own implementation, a ready-made shortcut (torch, timm,
  torchvision) or the library's modules re-wrapped, handed in as the student's answer;
* :mod:`.inputs`: inputs drawn afresh for each call, and checked unchanged after the student's code;
* :mod:`.compare`: a student's module against the library's, step by step, in plain words;
* :mod:`.networks`: a whole network assembled from the library's blocks against the library's own.
"""
