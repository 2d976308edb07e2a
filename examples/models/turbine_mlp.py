"""A model factory for ``dataguard check-model`` on ``examples/data/turbine.parquet``.

::

    dataguard fit examples/data/turbine.parquet --target power_kw -o turbine.json
    dataguard check-model examples/models/turbine_mlp.py:make_model \\
        --data examples/data/turbine.parquet --target power_kw --transforms turbine.json

The transforms standardize the inputs (and encode the angles as sine and cosine) and the
target (power in kW becomes zero-mean, unit-variance), so the MLP ends in a plain linear
layer: its output must reach negative values too.
"""

from __future__ import annotations

from torch import nn


def make_model(n_inputs: int, n_outputs: int) -> nn.Module:
    """Two hidden layers of 64 ReLU units, He-initialized, and a linear head."""
    model = nn.Sequential(
        nn.Linear(n_inputs, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, n_outputs),
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    head = model[-1]
    assert isinstance(head, nn.Linear)
    nn.init.xavier_normal_(head.weight)  # the head feeds no ReLU: Glorot scale
    return model
