"""Fitted transforms: plan fixes from the findings, fit them, apply them anywhere.

``dataguard.fit(data, target=...)`` returns a :class:`TransformPipeline`; its JSON artifact
(``pipe.save``, ``load_transforms``; schema in ``schemas/transforms.schema.json``) runs the
same kernels in numpy (``pipe.transform``), scikit-learn (``pipe.to_sklearn()``) and torch
(``pipe.to_torch()``). docs/transforms.md documents every step.
"""

from dataguard.transforms._api import fit, fit_report
from dataguard.transforms._kernels import NumpyOps, Program, run_program
from dataguard.transforms._pipeline import TransformPipeline, cast_saturating, load_transforms
from dataguard.transforms._spec import NUMERIC_ORDER

__all__ = [
    "NUMERIC_ORDER",
    "NumpyOps",
    "Program",
    "TransformPipeline",
    "cast_saturating",
    "fit",
    "fit_report",
    "load_transforms",
    "run_program",
]
