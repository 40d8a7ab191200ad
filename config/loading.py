"""Loading a YAML configuration file into a pydantic model, with errors that name the key."""

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def parse_yaml_model(model: type[Model], text: str, origin: str, error: type[Exception]) -> Model:
    """`text` validated as `model`; an invalid file raises `error`, one line per offending key."""
    try:
        return model.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise error(f"{origin} is invalid:\n  " + "\n  ".join(problems)) from None
