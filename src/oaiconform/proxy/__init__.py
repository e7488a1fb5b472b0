"""The validating proxy: live traffic from any client checked against the contract.

    from oaiconform.proxy import validating_proxy
    with validating_proxy("http://127.0.0.1:8000/v1") as proxy:
        client = OpenAI(base_url=proxy.base_url, api_key=...)
        ...

Imported lazily, so `oaiconform --help` does not load the server stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oaiconform.proxy.server import ValidatingProxy
    from oaiconform.proxy.testing import ProxyFindingsError, validating_proxy

__all__ = ["ProxyFindingsError", "ValidatingProxy", "validating_proxy"]


def __getattr__(name: str) -> Any:
    if name == "ValidatingProxy":
        from oaiconform.proxy.server import ValidatingProxy

        return ValidatingProxy
    if name in ("ProxyFindingsError", "validating_proxy"):
        from oaiconform.proxy import testing

        return getattr(testing, name)
    raise AttributeError(name)
