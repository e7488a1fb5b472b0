"""oaiconform: a conformance suite for the OpenAI HTTP API and OpenAI-compatible servers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("oaiconform")
except PackageNotFoundError:  # a checkout used without installing
    __version__ = "0.0.0+checkout"

__all__ = ["__version__"]
