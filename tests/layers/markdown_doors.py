"""The one door into markdown, as a static check of the source.

Streamlit renders as markdown the text of `st.markdown`, `st.write`, `st.caption`, the alerts,
`st.toast`, titles and headers, a progress bar's text, a dialog's title, an image's caption,
every widget label and every tooltip, and markdown can load a remote image with no click. So
each of those arguments must be the app's own words or have passed a guard:

- a string literal, or an f-string / `+` / conditional made only of literals, numbers (an f-string
  field with a numeric format such as `{n:,}`, or `len(...)`) and guarded values;
- a call of a function whose every definition in the project returns `SafeMarkdown` (the guards,
  `core.safe_text.literal`, `components.markdown.safe`, and anything built on them);
- `SafeMarkdown(...)` of a guarded value;
- a name whose every assignment in its scope is guarded (or annotated `SafeMarkdown`), a module
  constant (imported ones are followed), an attribute declared `SafeMarkdown` in a class.

Anything else (a variable holding a title, `str(exc)`, an f-string with `{name}`) is reported.
mypy then holds every `SafeMarkdown` annotation to its word: a NewType is only made by calling it,
and this check also reads every such call (and `cast`) outside the guard modules.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "SafeMarkdown"
# Where the marker is defined and made from the guards' own escaping.
GUARD_MODULES = frozenset({"core/safe_text.py", "core/safe_markdown.py"})
UI_DIRS = ("app.py", "app_pages", "pages", "components")
PROJECT_DIRS = (*UI_DIRS, "core")

_TEXT = ((0, "body"),)
_LABEL = ((0, "label"),)
# Method name -> the (position, keyword) of each argument Streamlit renders as markdown.
SINKS: dict[str, tuple[tuple[int | None, str | None], ...]] = {
    **dict.fromkeys(
        ("markdown", "caption", "success", "info", "warning", "error", "exception", "toast"), _TEXT
    ),
    **dict.fromkeys(("title", "header", "subheader"), _TEXT),
    "progress": ((1, "text"),),
    "dialog": ((0, "title"),),
    "image": ((1, "caption"),),
    "page_link": ((1, "label"),),
    "radio": ((0, "label"), (1, "options"), (None, "captions")),
    "tabs": ((0, "tabs"),),
    **dict.fromkeys(
        (
            "button",
            "download_button",
            "link_button",
            "form_submit_button",
            "expander",
            "popover",
            "status",
            "checkbox",
            "toggle",
            "selectbox",
            "multiselect",
            "pills",
            "segmented_control",
            "text_input",
            "text_area",
            "number_input",
            "file_uploader",
            "metric",
            "badge",
        ),
        _LABEL,
    ),
}
# `st.write` renders every positional argument; any of the above renders its tooltip.
EVERY_POSITIONAL = frozenset({"write"})
# Calls named like an element on objects that are not Streamlit's (receiver, method).
NOT_ELEMENTS = frozenset({("opened", "info"), ("store", "info"), ("chats", "info"), ("saver", "progress")})
_NUMERIC_BUILTINS = frozenset({"len", "int", "float", "round", "abs", "sum"})
# A format spec that only a number accepts: a grouping option or a numeric presentation type.
_FORMAT_SPEC = re.compile(
    r"(?:.?[<>=^])?[+\- ]?z?#?0?\d*(?P<grouping>[,_])?(?:\.\d+)?(?P<type>[bcdeEfFgGnoxX%])?"
)


@dataclass(frozen=True)
class Violation:
    """A markdown sink given text that did not pass a guard, or a marker made from such text."""

    where: str  # path:line
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.where} {self.call}: {self.text}"


@dataclass
class _Module:
    path: str  # relative to the root, with /
    tree: ast.Module
    parents: dict[int, ast.AST] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node

    def scopes(self, node: ast.AST) -> Iterator[ast.AST]:
        """The functions, lambdas and comprehensions around `node`, innermost first, then the module."""
        current = self.parents.get(id(node))
        while current is not None:
            if isinstance(current, _SCOPES):
                yield current
            current = self.parents.get(id(current))
        yield self.tree


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (*_FUNCTIONS, *_COMPREHENSIONS)


def _marked(annotation: ast.expr | None) -> bool:
    return annotation is not None and MARKER in ast.unparse(annotation)


class Project:
    """The project's modules, and what their definitions say about the marker."""

    def __init__(self, root: Path, dirs: tuple[str, ...] = PROJECT_DIRS) -> None:
        self.root = root
        self.modules: dict[str, _Module] = {}
        for entry in dirs:
            base = root / entry
            files = [base] if base.is_file() else sorted(base.rglob("*.py")) if base.is_dir() else []
            for path in files:
                relative = path.relative_to(root).as_posix()
                self.modules[relative] = _Module(relative, ast.parse(path.read_text(), relative))
        self.trusted_calls = self._all_marked(self._functions())
        self.trusted_attributes = self._all_marked(self._class_fields())
        self._resolving: set[tuple[int, str]] = set()

    def _functions(self) -> Iterator[tuple[str, bool]]:
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield node.name, _marked(node.returns)

    def _class_fields(self) -> Iterator[tuple[str, bool]]:
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                            yield item.target.id, _marked(item.annotation)
                        elif isinstance(item, ast.FunctionDef):  # a property
                            yield item.name, _marked(item.returns)

    @staticmethod
    def _all_marked(found: Iterator[tuple[str, bool]]) -> frozenset[str]:
        verdicts: dict[str, bool] = {}
        for name, marked in found:
            verdicts[name] = verdicts.get(name, True) and marked
        return frozenset(name for name, marked in verdicts.items() if marked)

    # -- the check ------------------------------------------------------------------------------

    def violations(self) -> list[Violation]:
        """Every unguarded text given to a markdown sink in the UI, and every marker made from
        unguarded text anywhere."""
        found: list[Violation] = []
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call):
                    found.extend(self._check_call(module, node))
        return found

    def _check_call(self, module: _Module, call: ast.Call) -> Iterator[Violation]:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if module.path not in GUARD_MODULES:
            if name == MARKER:
                yield from self._unguarded(module, call, call.args)
            elif name == "cast" and call.args and MARKER in ast.unparse(call.args[0]):
                yield from self._unguarded(module, call, call.args[1:])
        if not isinstance(func, ast.Attribute) or not module.path.startswith(UI_DIRS):
            return
        if (ast.unparse(func.value), func.attr) in NOT_ELEMENTS or func.attr not in SINKS | dict.fromkeys(
            EVERY_POSITIONAL
        ):
            return
        texts = list(call.args) if func.attr in EVERY_POSITIONAL else _arguments(call, SINKS[func.attr])
        texts += [keyword.value for keyword in call.keywords if keyword.arg == "help"]
        yield from self._unguarded(module, call, texts)

    def _unguarded(self, module: _Module, call: ast.Call, texts: Sequence[ast.expr]) -> Iterator[Violation]:
        for text in texts:
            if not self.guarded(module, text):
                where = f"{module.path}:{text.lineno}"
                yield Violation(where, ast.unparse(call.func), ast.unparse(text))

    def guarded(self, module: _Module, node: ast.expr) -> bool:
        """True when `node` is the app's own text or passed a guard (see the module docstring)."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self._field_guarded(module, part) for part in node.values)
        if isinstance(node, ast.BinOp):
            return self._operation_guarded(module, node)
        if isinstance(node, ast.IfExp):
            return self.guarded(module, node.body) and self.guarded(module, node.orelse)
        if isinstance(node, ast.BoolOp):
            return all(self.guarded(module, value) for value in node.values)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return all(self.guarded(module, element) for element in node.elts)
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self.guarded(module, node.elt)
        if isinstance(node, ast.Call):
            return self._call_guarded(module, node)
        if isinstance(node, ast.Name):
            return self._name_guarded(module, node.id, node)
        if isinstance(node, ast.Attribute):
            return self._attribute_guarded(module, node)
        return False

    def _operation_guarded(self, module: _Module, node: ast.BinOp) -> bool:
        if isinstance(node.op, ast.Sub | ast.Div | ast.FloorDiv | ast.Pow):
            return True  # a number: str has none of these (it raises TypeError)
        numbers = [side for side in (node.left, node.right) if _is_number(side)]
        if isinstance(node.op, ast.Add) and numbers:
            return True  # `n + 1`: a number, or TypeError for a str
        if isinstance(node.op, ast.Add | ast.Mult):
            return self.guarded(module, node.left) and self.guarded(module, node.right)
        return False  # `%` formats a str

    def _field_guarded(self, module: _Module, part: ast.expr) -> bool:
        if not isinstance(part, ast.FormattedValue):
            return True
        if part.conversion in (ord("r"), ord("a")):  # repr() doubles the guard's backslashes
            return False
        spec = part.format_spec
        if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
            text = "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
            match = _FORMAT_SPEC.fullmatch(text)
            if match and (match["grouping"] or match["type"]):
                return True  # only a number formats this way: a str raises ValueError
        return self.guarded(module, part.value)

    def _call_guarded(self, module: _Module, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            if func.id == MARKER:
                return all(self.guarded(module, arg) for arg in call.args)
            return func.id in _NUMERIC_BUILTINS or func.id in self.trusted_calls
        if isinstance(func, ast.Attribute):
            if func.attr == "join" and isinstance(func.value, ast.Constant):
                return all(self.guarded(module, arg) for arg in call.args)
            return func.attr in self.trusted_calls
        return False

    def _attribute_guarded(self, module: _Module, node: ast.Attribute) -> bool:
        if isinstance(node.value, ast.Name):
            imported = self._imported_module(module, node.value.id, node)
            if imported is not None:
                return self._name_guarded(imported, node.attr, imported.tree)
        return node.attr in self.trusted_attributes

    # -- names ----------------------------------------------------------------------------------

    def _name_guarded(self, module: _Module, name: str, at: ast.AST) -> bool:
        for scope in module.scopes(at):
            bindings = list(_bindings(scope, name))
            if not bindings:
                continue
            key = (id(scope), name)
            if key in self._resolving:
                return False  # a cycle proves nothing
            self._resolving.add(key)
            try:
                return all(self._binding_guarded(module, binding) for binding in bindings)
            finally:
                self._resolving.discard(key)
        return False  # a builtin or an unknown name

    def _binding_guarded(self, module: _Module, binding: ast.AST) -> bool:
        if isinstance(binding, ast.arg):
            return _marked(binding.annotation)
        if isinstance(binding, ast.AnnAssign):
            return _marked(binding.annotation) or (
                binding.value is not None and self.guarded(module, binding.value)
            )
        if isinstance(binding, ast.Assign | ast.AugAssign | ast.NamedExpr):
            return self.guarded(module, binding.value)
        if isinstance(binding, ast.ImportFrom) and binding.module:
            target = self._module_named(binding.module)
            alias = binding.names[0]
            return target is not None and self._name_guarded(target, alias.name, target.tree)
        return False  # a loop or with target, an exception, a def, a plain import

    def _imported_module(self, module: _Module, name: str, at: ast.AST) -> _Module | None:
        """The project module `name` is bound to by an import in `module`, if it is one."""
        for scope in module.scopes(at):
            bindings = list(_bindings(scope, name))
            if bindings:
                binding = bindings[0]
                if len(bindings) == 1 and isinstance(binding, ast.ImportFrom) and binding.module:
                    return self._module_named(f"{binding.module}.{binding.names[0].name}")
                return None
        return None

    def _module_named(self, dotted: str) -> _Module | None:
        path = dotted.replace(".", "/")
        return self.modules.get(f"{path}.py") or self.modules.get(f"{path}/__init__.py")


def _is_number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _arguments(call: ast.Call, places: tuple[tuple[int | None, str | None], ...]) -> list[ast.expr]:
    found = []
    for position, keyword in places:
        if position is not None and position < len(call.args):
            found.append(call.args[position])
        found.extend(k.value for k in call.keywords if k.arg == keyword)
    return found


def _bindings(scope: ast.AST, name: str) -> Iterator[ast.AST]:
    """What binds `name` directly in `scope` (not in the functions or comprehensions inside it):
    parameters, assignments, imports, loop and with targets, defs."""
    if isinstance(scope, _FUNCTIONS):
        arguments = scope.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if arg.arg == name:
                yield arg
        for rest in (arguments.vararg, arguments.kwarg):
            if rest is not None and rest.arg == name:
                yield rest
    if isinstance(scope, _COMPREHENSIONS):
        for generator in scope.generators:
            if name in _target_names(generator.target):
                yield generator
        return
    body = [scope.body] if isinstance(scope, ast.Lambda) else getattr(scope, "body", [])
    for statement in body:
        yield from _bindings_in(statement, name)


def _bindings_in(node: ast.AST, name: str) -> Iterator[ast.AST]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        if node.name == name:
            yield node
        return
    if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                yield node
            elif name in _target_names(target):
                yield target  # unpacked from a tuple: not followed
    elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        if isinstance(node.target, ast.Name) and node.target.id == name:
            yield node
    elif isinstance(node, ast.For | ast.AsyncFor | ast.withitem | ast.ExceptHandler):
        bound = getattr(node, "target", None) or getattr(node, "optional_vars", None)
        if (bound is not None and name in _target_names(bound)) or getattr(node, "name", None) == name:
            yield node
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                yield ast.ImportFrom(node.module, [alias], 0) if isinstance(node, ast.ImportFrom) else node
    for child in ast.iter_child_nodes(node):
        yield from _bindings_in(child, name)


def _target_names(target: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(target) if isinstance(node, ast.Name)}
