"""The turbine MLP with a mistake: a ReLU after the output layer (``dataguard check-model``
reports DG201, final-activation-range).

The transforms standardize the target, so about half of the values the model must predict
are negative, and a ReLU head can output nothing below 0::

    dataguard fit examples/data/turbine.parquet --target power_kw -o turbine.json
    dataguard check-model examples/models/broken_relu_head.py:make_model \\
        --data examples/data/turbine.parquet --target power_kw --transforms turbine.json
"""

from __future__ import annotations

from torch import nn


def make_model(n_inputs: int, n_outputs: int) -> nn.Module:
    """turbine_mlp.make_model, plus the ReLU head."""
    model = nn.Sequential(
        nn.Linear(n_inputs, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, n_outputs),
        nn.ReLU(),  # the bug: the standardized target is negative half the time
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return model
