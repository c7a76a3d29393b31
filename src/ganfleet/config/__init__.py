"""Typed run configuration: dataclass sections with a help text per field.

    fields.py      option(), typed values and the checks every field shares
    sections.py    the sections (data, model, train, loss, augment, ema, optim, budget, cadence, sgan, eval)
    run_config.py  RunConfig: every section, and the checks that span sections
    names.py       the choices of names (sources, architectures, losses, strategies) as Literals
    parse.py       YAML trees and --set overrides onto a RunConfig; keys that moved to another section
    yaml_text.py   YAML from users (--config files, --set values), read with bounds

Every field's help text is what `ganfleet train --help` shows, so the
documentation of an option lives in one place.
"""

from ganfleet.config.fields import field_help, option
from ganfleet.config.parse import (
    MOVED_KEYS,
    apply_override,
    apply_values,
    build_config,
    flatten,
    from_dict,
    load_config,
    upgrade_tree,
)
from ganfleet.config.run_config import RunConfig
from ganfleet.config.sections import (
    AugmentConfig,
    BudgetConfig,
    CadenceConfig,
    DataConfig,
    EmaConfig,
    EvalConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    SganConfig,
    SharedConfig,
    TrainConfig,
)

__all__ = [
    "MOVED_KEYS",
    "AugmentConfig",
    "BudgetConfig",
    "CadenceConfig",
    "DataConfig",
    "EmaConfig",
    "EvalConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "SganConfig",
    "SharedConfig",
    "TrainConfig",
    "apply_override",
    "apply_values",
    "build_config",
    "field_help",
    "flatten",
    "from_dict",
    "load_config",
    "option",
    "upgrade_tree",
]
