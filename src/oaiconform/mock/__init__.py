"""The reference mock: a correct OpenAI stand-in, plus named faults to prove the checks."""

from oaiconform.mock.app import create_app
from oaiconform.mock.config import DEFAULT_API_KEY, MockConfig
from oaiconform.mock.faults import FAULTS, Fault, UnknownFaultError, resolve_faults
from oaiconform.mock.server import MockServer

__all__ = [
    "DEFAULT_API_KEY",
    "FAULTS",
    "Fault",
    "MockConfig",
    "MockServer",
    "UnknownFaultError",
    "create_app",
    "resolve_faults",
]
