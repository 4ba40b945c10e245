"""Text rendering of tool outputs: YAML, stable key order, readable by models."""

from __future__ import annotations

from typing import Any

import yaml


def as_yaml(value: Any) -> str:
    if value == [] or value == {}:
        return "[]" if value == [] else "{}"
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100).rstrip()
