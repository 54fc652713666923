"""Whether a test module's agent reaches a provider, or runs on what the test made up.

A unit test gives its agent a fixture (``model`` bound by pytest), a local built by the
test's own helper (``model, client = _model(events)``), an object of a class the test
defines (``_RevokedModel()``), a double (``FakeModel()``), or an SDK model object talking to
a client the test made (``OpenAIResponsesModel(model="gpt-4", openai_client=Client())``
with ``class Client`` in the test, ``cast(Any, object())``). None of these bills. A test
also runs an agent with a real-looking id on a provider it made
(``RunConfig(model_provider=_ScriptedProvider(model))``), or builds one only to read its
fields and never runs it. Such an agent is no request.

An agent of a test module is a request only on evidence that it is live: a model id (a
literal that is not a placeholder, or a parameter typed ``str``, as integration suites
are given one by a fixture) or a model object of a library with a client the test did not
make, run by the test with no provider or model of its own making.
"""

from __future__ import annotations

import ast

from promptlint.extract import model_objects
from promptlint.extract.scopes import CallSite, ModuleIndex, Scope
from promptlint.placeholders import placeholder
from promptlint.pyast import dotted

_DEPTH = 4


def live_agent(site: CallSite, model: ast.expr | None, index: ModuleIndex) -> bool:
    """Whether the agent built at ``site`` of a test module is run on a model that bills."""
    if model is None or not _live_model(model, site.scope, index, 0):
        return False
    test = _enclosing_function(site.scope)
    if test is None or not isinstance(test.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return True
    calls = [n for n in ast.walk(test.node) if isinstance(n, ast.Call)]
    if test.name.startswith("test") and not any(_runs(call) for call in calls):
        return False  # built to be inspected (``agent.clone()``, ``get_model(agent)``), never run
    return not any(_overridden(call, test, index) or _patched_run(call) for call in calls)


_PATCHERS = frozenset({"setattr", "patch", "object"})  # monkeypatch.setattr, (mock.)patch, patch.object


def _patched_run(call: ast.Call) -> bool:
    """``monkeypatch.setattr(Runner, "run", fake)``, ``patch.object(Runner, "run_streamed")``,
    ``patch("agents.Runner.run")`` (a call or a decorator of the test): the test replaced
    the run method, so its runs reach the test's function, never a provider."""
    if (dotted(call.func) or "").rsplit(".", 1)[-1] not in _PATCHERS:
        return False
    names = [a.value for a in call.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return any(name.rsplit(".", 1)[-1] in model_objects.RUN_METHODS for name in names)


def _runs(call: ast.Call) -> bool:
    name = dotted(call.func) or ""
    return name.rsplit(".", 1)[-1] in model_objects.RUN_METHODS


def _overridden(call: ast.Call, scope: Scope, index: ModuleIndex) -> bool:
    """``RunConfig(model_provider=provider)`` or ``RunConfig(model=scripted)`` with what the
    test made: the run uses that instead of the agent's model."""
    keywords = model_objects.RUN_OVERRIDES.get((dotted(call.func) or "").rsplit(".", 1)[-1])
    if not keywords:
        return False
    for keyword in call.keywords:
        if keyword.arg in keywords and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
            if not _live_object(keyword.value, scope, index, 0):
                return True
    return False


def _live_model(node: ast.expr, scope: Scope, index: ModuleIndex, depth: int) -> bool:
    if depth > _DEPTH:
        return False
    node = _uncast(node)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and not placeholder(node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.IfExp):
        return _live_model(node.body, scope, index, depth + 1) or _live_model(node.orelse, scope, index, depth + 1)
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = _bound(node, scope)
        if bound is None:
            return False
        if isinstance(bound, str):  # a parameter: its annotation says whether it is an id
            return bound == "str"
        return _live_model(bound, scope, index, depth + 1)
    if not isinstance(node, ast.Call):
        return False
    cls = (dotted(node.func) or "").rsplit(".", 1)[-1]
    if not cls[:1].isupper() or model_objects.is_test_double(cls) or _made_by_suite(node, scope, index):
        return False  # a factory's result promptlint cannot read, a double, the test's own class
    spec = model_objects.MODEL_OBJECTS.get(cls)
    for keyword in node.keywords:
        if keyword.arg and _names_client(keyword.arg, spec) and not _live_object(keyword.value, scope, index, depth + 1):
            return False
    model = next((k.value for k in node.keywords if k.arg in (spec.model_keywords if spec else ("model",))), None)
    if model is None and spec is not None and spec.position is not None and spec.position < len(node.args):
        model = node.args[spec.position]
    # The library's own model object: live whatever id it is given, unless a placeholder
    return not (isinstance(model, ast.Constant) and isinstance(model.value, str) and placeholder(model.value))


def _names_client(keyword: str, spec: model_objects.ModelObject | None) -> bool:
    if spec is not None:
        return keyword in spec.clients
    return keyword.endswith(("client", "provider"))


def _live_object(node: ast.expr, scope: Scope, index: ModuleIndex, depth: int) -> bool:
    """A client, provider or model object that is not a parameter (a fixture), not
    ``object()``, not a double and not built by the test module's own code."""
    if depth > _DEPTH:
        return False
    node = _uncast(node)
    if isinstance(node, (ast.Name, ast.Attribute)):
        bound = _bound(node, scope)
        if bound is None or isinstance(bound, str):
            return False
        return _live_object(bound, scope, index, depth + 1)
    if isinstance(node, ast.Call):
        name = (dotted(node.func) or "").rsplit(".", 1)[-1]
        return name not in ("object", "") and not model_objects.is_test_double(name) \
            and not _made_by_suite(node, scope, index)
    return isinstance(node, ast.Constant) and node.value is None


def _made_by_suite(call: ast.Call, scope: Scope, index: ModuleIndex) -> bool:
    """A call of a class or function of the test module itself, a method of the test class,
    or one imported from the test suite (a relative import, a ``tests`` package)."""
    name = dotted(call.func)
    if name is None:
        return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call) \
            and _made_by_suite(call.func.value, scope, index)
    first = name.split(".", 1)[0]
    imp = index.imports.get(first)
    if imp is None:
        return first not in _BUILTINS
    parts = imp.module.split(".")
    return imp.level > 0 or any(p in ("tests", "test", "testing") or p.startswith("test_") for p in parts)


_BUILTINS = frozenset({"object", "dict", "list", "tuple", "str", "cast"})


def _bound(node: ast.expr, scope: Scope) -> ast.expr | str | None:
    """What a name or ``self.attr`` was last given (a tuple unpack gives the call), or the
    annotation of the parameter it is (``""`` when none)."""
    if isinstance(node, ast.Name):
        current: Scope | None = scope
        while current is not None:
            events = [e for e in current.events.get(node.id, ())
                      if e.kind in ("assign", "unpack") and isinstance(e.node, ast.expr)]
            if events:
                return events[-1].node  # type: ignore[return-value]
            if current.kind == "function" and node.id in current.params:
                return _annotation(current, node.id)
            current = current.parent
        return None
    from promptlint.extract.sinks import binding_node
    return binding_node(node, scope)


def _annotation(scope: Scope, name: str) -> str:
    args = getattr(scope.node, "args", None)
    if args is None:
        return ""
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.arg == name and arg.annotation is not None:
            ann = arg.annotation
            return ann.value if isinstance(ann, ast.Constant) and isinstance(ann.value, str) else (dotted(ann) or "?")
    return ""


def _uncast(node: ast.expr) -> ast.expr:
    """``cast(Any, client)``: the client."""
    if isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1] == "cast" and len(node.args) == 2:
        return node.args[1]
    return node


def _enclosing_function(scope: Scope) -> Scope | None:
    current: Scope | None = scope
    while current is not None and current.kind != "function":
        current = current.parent
    return current
