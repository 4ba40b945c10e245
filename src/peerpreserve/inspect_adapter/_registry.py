"""Entry point for Inspect: registers peerpreserve's tasks and model providers."""

# ruff: noqa: F401
from .providers.scripted import ScriptedModelAPI
from .tasks import exfiltration_deletion, exfiltration_transfer

try:  # the embedded model's provider; registering it never loads xllamacpp
    from .providers.local import *  # noqa: F403
except ImportError:  # pragma: no cover - only while the provider module is absent
    pass
