"""The tools of a Responses request as the API sees them: echoed in the response (`tools`),
and the function the model calls, with the `namespace` the API names in a call of a tool that
tool search (a beta beyond the pinned description) loads.

Read from recorded answers (tests/corpus/real_api/, 2026):

- a function offered with `defer_loading: true` that no tool search loaded yet is echoed as
  offered (`defer_loading` kept);
- one that a `tool_search_output` input item loaded is echoed in a namespace of its name
  (without `defer_loading`); the models that load tools natively (gpt-5.6 and later:
  `_model_defaults.loads_tools_natively`) echo the tools a client-executed search loaded as
  plain functions;
- the tools an `additional_tools` input item adds are echoed in a namespace of their name, by
  the models that load tools natively as plain functions (one with a deferred function's name
  is that function, loaded);
- a call of a function the model reaches through a namespace, or of a deferred one, names it in
  `namespace`.

When a deferred function is offered that nothing loaded yet, and the input has neither searched
nor added tools, the model runs the offered `tool_search` first (`planned_search`): a
server-executed search loads the function (a `tool_search_call` and its `tool_search_output`
in the output), which it then calls, in its namespace; a client-executed one ends the
response with its call.

Unless `tool_choice` names a function, the model calls the first of the functions the latest
`additional_tools` item adds, else of those a tool search loaded, else of those offered
directly, else of the deferred ones (the newest tools are what the conversation is about),
one the input has not called yet before one it has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from oaiconform.mock.handlers._model_defaults import loads_tools_natively

# How a function is echoed: as offered, in a namespace, or loaded (a plain function).
Echo = Literal["offered", "namespace", "loaded", "deferred"]


@dataclass(frozen=True)
class Offered:
    """One tool of the request (a function or a built-in), and how the API echoes it."""

    tool: dict[str, Any]
    echo: Echo
    rank: int = 2  # the model's preference among functions: lower first

    @property
    def namespace(self) -> str | None:
        """The `namespace` a call of this function names."""
        return str(self.tool.get("name")) if self.echo in ("namespace", "deferred") else None


def _input_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _functions(tools: Any) -> list[dict[str, Any]]:
    listed = tools if isinstance(tools, list) else []
    return [t for t in listed if isinstance(t, dict) and t.get("type") == "function"]


def offered_tools(body: dict[str, Any]) -> list[Offered]:
    """The request's tools, then those its `additional_tools` items add, as the API sees them."""
    native = isinstance(body.get("model"), str) and loads_tools_natively(body["model"])
    items = _input_items(body)
    by_server: set[str] = set()  # names a tool search loaded, by where it ran
    by_client: set[str] = set()
    for item in items:
        if item.get("type") == "tool_search_output":
            client = item.get("execution") == "client"
            for tool in _functions(item.get("tools")):
                (by_client if client else by_server).add(str(tool.get("name")))
    added: list[dict[str, Any]] = []
    for item in items:
        if item.get("type") == "additional_tools":
            added = _functions(item.get("tools"))  # the latest item's
    added_names = {str(t.get("name")) for t in added}
    offered: list[Offered] = []
    for tool in body.get("tools") or ():
        if not isinstance(tool, dict):
            continue
        if tool.get("type") != "function" or not tool.get("defer_loading"):
            offered.append(Offered(tool, "offered"))
            continue
        name, inner = str(tool.get("name")), {k: v for k, v in tool.items() if k != "defer_loading"}
        if name in by_server or (name in by_client and not native):
            offered.append(Offered(inner, "namespace", 1))
        elif native and (name in by_client or name in added_names):
            offered.append(Offered(inner, "loaded", 0 if name in added_names else 1))
        else:
            offered.append(Offered(tool, "deferred", 3))
    echoed_names = {str(o.tool.get("name")) for o in offered if o.tool.get("type") == "function"}
    for tool in added:
        if not native:
            offered.append(Offered(tool, "namespace", 0))
        elif str(tool.get("name")) not in echoed_names:
            offered.append(Offered(tool, "loaded", 0))
    return offered


def called_function(body: dict[str, Any], searched: str | None = None) -> Offered | None:
    """The function the model calls (`tool_choice` "none": none); the one its own tool search
    just loaded (`searched`) first."""
    functions = [o for o in offered_tools(body) if o.tool.get("type") == "function"]
    choice = body.get("tool_choice", "auto")
    if not functions or choice == "none":
        return None
    if isinstance(choice, dict) and choice.get("type") == "function":
        return next((o for o in functions if o.tool.get("name") == choice.get("name")), None)
    called = {str(i.get("name")) for i in _input_items(body) if i.get("type") == "function_call"}
    return min(
        functions,
        key=lambda o: (o.tool.get("name") != searched, str(o.tool.get("name")) in called, o.rank),
    )


@dataclass(frozen=True)
class Search:
    """A tool search the model runs before it answers: where (`execution`), and the deferred
    function it loads."""

    execution: str  # "server" (the API runs it) or "client" (the caller does)
    tool: dict[str, Any]  # the tool_search tool offered
    function: dict[str, Any]  # the deferred function, as offered


def planned_search(body: dict[str, Any]) -> Search | None:
    """The search the model runs first: when the request offers `tool_search` and a deferred
    function nothing loaded yet, and the input has no tool search nor added tools (the recorded
    model searches before it calls or answers; with a client-executed search, the response
    ends with the call)."""
    offered = offered_tools(body)
    search_tool = next((o.tool for o in offered if o.tool.get("type") == "tool_search"), None)
    deferred = next((o.tool for o in offered if o.echo == "deferred"), None)
    if search_tool is None or deferred is None:
        return None
    if any(i.get("type") in ("tool_search_call", "additional_tools") for i in _input_items(body)):
        return None  # searched already, or the conversation brought the tools it needs
    execution = "client" if search_tool.get("execution") == "client" else "server"
    return Search(execution, search_tool, deferred)


def search_items(search: Search, new_id: Any, arguments: Any) -> list[dict[str, Any]]:
    """The output items of a search: its call (a server search names the paths it loads, a
    client one carries its arguments and a call_id to answer), and a server search's output
    (the function it loaded)."""
    if search.execution == "client":
        return [
            {"id": new_id("tsc"), "type": "tool_search_call", "status": "completed",
             "arguments": arguments, "call_id": new_id("call"), "execution": "client"}
        ]  # fmt: skip
    name = search.function.get("name")
    return [
        {"id": new_id("tsc"), "type": "tool_search_call", "status": "completed",
         "arguments": {"paths": [name]}, "call_id": None, "execution": "server"},
        {"id": new_id("tso"), "type": "tool_search_output", "status": "completed",
         "call_id": None, "execution": "server", "tools": [_echoed_tool(search.function)]},
    ]  # fmt: skip


def echoed_tools(body: dict[str, Any]) -> list[Any]:
    """The request's tools (and the added ones) as the API echoes them."""
    echoed: list[Any] = [
        _namespace(_echoed_tool(o.tool)) if o.echo == "namespace" else _echoed_tool(o.tool)
        for o in offered_tools(body)
    ]
    return echoed


_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")  # a namespace's tools' names, as described


def _namespace(tool: Any) -> Any:
    if not isinstance(tool, dict) or not _TOOL_NAME.match(str(tool.get("name"))):
        return tool
    name, description = tool.get("name"), tool.get("description")
    return {"type": "namespace", "name": name, "description": description, "tools": [tool]}


def _echoed_tool(tool: Any) -> Any:
    """A function tool as the API echoes it: `strict` true when the request left it out (or
    null), `description` null when absent or empty, and a strict tool's parameters closed
    (`additionalProperties: false`, every property `required`, as strict mode requires)."""
    if not isinstance(tool, dict):
        return tool
    if tool.get("type") != "function":
        return _echoed_builtin(tool)
    strict = True if tool.get("strict") is None else tool["strict"]
    parameters = tool.get("parameters")
    if strict and isinstance(parameters, dict) and parameters.get("type") == "object":
        # strict mode: every property required, none other allowed
        properties = parameters.get("properties")
        parameters = {"additionalProperties": False, **parameters}
        if isinstance(properties, dict) and "required" not in parameters:
            parameters["required"] = list(properties)
    return {
        **tool,
        "description": tool.get("description") or None,
        "output_schema": tool.get("output_schema"),
        "parameters": parameters,
        "strict": strict,
    }


# A built-in tool's defaults, which the API echoes (tests/corpus/real_api/).
_BUILTIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "tool_search": {"description": None, "parameters": None},
    "image_generation": {
        "background": "auto",
        "model": "gpt-image-1",
        "moderation": "auto",
        "n": 1,
        "output_compression": 100,
        "output_format": "png",
        "quality": "auto",
        "size": "auto",
    },
    "file_search": {
        "filters": None,
        "max_num_results": 20,
        "ranking_options": {"ranker": "auto", "score_threshold": 0.0},
    },
    "web_search": {
        "filters": None,
        "return_token_budget": "default",
        "search_context_size": "medium",
        "user_location": {
            "type": "approximate",
            "city": None,
            "country": "US",
            "region": None,
            "timezone": None,
        },
    },
}
_USER_LOCATION = {"type": "approximate", "city": None, "country": None, "region": None,
                  "timezone": None}  # fmt: skip


def _echoed_builtin(tool: dict[str, Any]) -> dict[str, Any]:
    """A built-in tool with its defaults. An image generation's unset `input_fidelity` (null)
    and `partial_images` (0) are not echoed; a web search without external web access
    (`external_web_access: false`) is echoed as searching text only (`search_content_types`)."""
    echoed = {**_BUILTIN_DEFAULTS.get(str(tool.get("type")), {}), **tool}
    if isinstance(tool.get("user_location"), dict):
        echoed["user_location"] = {**_USER_LOCATION, **tool["user_location"]}
    if tool.get("type") == "image_generation":
        for name, unset in (("input_fidelity", None), ("partial_images", 0)):
            if name in echoed and echoed[name] == unset:
                del echoed[name]
    if tool.get("type") == "web_search" and tool.get("external_web_access") is False:
        del echoed["external_web_access"]
        echoed["search_content_types"] = ["text"]
    return echoed
