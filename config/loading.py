"""Loading a YAML configuration file into a pydantic model, with errors that name the key."""

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
# libyaml's loader when PyYAML has it (it does in our lock): the pure-Python one took 0.75 s to
# read the marts' dbt YAML the theses are checked against, at every definitions load.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    """YAML text as Python objects, as yaml.safe_load reads it (dates as dates), but in C."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)


def parse_yaml_model(model: type[Model], text: str, origin: str, error: type[Exception]) -> Model:
    """`text` validated as `model`; an invalid file raises `error`, one line per offending key."""
    try:
        return model.model_validate(load_yaml(text))
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise error(f"{origin} is invalid:\n  " + "\n  ".join(problems)) from None


def yaml_line(text: str, path: tuple) -> int:
    """The line (1-based) of the node at `path` (mapping keys and list indices) in YAML `text`:
    the key's own line when the path ends on a key, else the deepest node the path reaches (the
    mapping that misses a required key). 1 when the text does not compose."""
    try:
        node = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return 1
    line = node.start_mark.line if node is not None else 0
    for key in path:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if k.value == str(key)]
            if not found:
                break
            line, node = found[0][0].start_mark.line, found[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line
        else:
            break
    return line + 1
