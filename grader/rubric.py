"""Load a rubric: safe YAML, validation against the JSON Schema, then the model.

Every problem is a ``RubricError`` naming the file, the key path and the line:
``rubric.yaml:42: items[3].cases.public[0].expect: required``. Expected values
are computed here, once: literal ones from the YAML, the rest by calling the
rubric's reference solution. The reference is trusted instructor code and runs
in the grader's process, never in a worker, and never beside student code.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from grader.errors import RubricError
from grader.models import Limits, Rubric, Tolerance

# --- YAML --------------------------------------------------------------------


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when present
    """SafeLoader with YAML 1.2 scalars (``1e-6`` is a float; ``no`` is a string) and
    duplicate keys reported instead of silently dropped."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))


def _yaml12_int(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)  # 010 is ten


YamlLoader.add_constructor("tag:yaml.org,2002:int", _yaml12_int)
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"""^(?:
        [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
      | [-+]?(?:[0-9][0-9_]*)[eE][-+]?[0-9]+
      | [-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN))$""", re.X), list("-+0123456789."))


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RubricError(str(path), f"cannot read the rubric ({e})") from None
    loader = YamlLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        raise RubricError(str(path), f"invalid YAML: {problem}",
                          line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()


def _line_of(node: yaml.Node | None, path: list) -> int | None:
    """The line of the YAML node at ``path`` (or of its deepest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def key_path(path: list) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


# --- schema ------------------------------------------------------------------

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
TOLERANCE = {"type": "object", "additionalProperties": False,
              "properties": {"rtol": {"type": "number", "minimum": 0},
                             "atol": {"type": "number", "minimum": 0}}}
_SHAPE = {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 8}
_RANDOM = {
    "type": "object", "required": ["shape", "seed"], "additionalProperties": False,
    "description": "seeded random array: the same every re-grade",
    "properties": {
        "shape": _SHAPE, "seed": {"type": "integer", "minimum": 0},
        "dist": {"enum": ["normal", "uniform", "integers"], "default": "normal"},
        "mean": {"type": "number"}, "std": {"type": "number", "minimum": 0},
        "low": {"type": "number"}, "high": {"type": "number"},
        "zeros": {"type": "number", "minimum": 0, "maximum": 1,
                  "description": "fraction of entries set to exactly 0"},
        "dtype": {"type": "string"}}}
VALUE_SPECS: dict[str, dict] = {
    "array": {"type": "array", "items": {"$ref": "#/$defs/value"}}, "ones": _SHAPE,
    "zeros": _SHAPE,
    "full": {"type": "object", "required": ["shape", "value"], "additionalProperties": False,
             "properties": {"shape": _SHAPE, "value": {"type": "number"}}},
    "random": _RANDOM, "tuple": {"type": "array", "items": {"$ref": "#/$defs/value"}}}
# A value in a case: a YAML literal, or a one-key mapping naming a value spec, at any depth.
VALUE = {"$ref": "#/$defs/value"}
_VALUE_DEF = {
    "description": "a literal, or a value spec such as {random: {shape: [3], seed: 1}}",
    "if": {"type": "object", "minProperties": 1, "maxProperties": 1,
           "anyOf": [{"required": [name]} for name in VALUE_SPECS]},
    "then": {"properties": VALUE_SPECS},
    "else": {"if": {"type": "array"}, "then": {"items": VALUE},
             "else": {"if": {"type": "object"},
                      "then": {"additionalProperties": VALUE}}}}
CASE = {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "args": {"type": "array", "items": VALUE,
                 "description": "positional arguments (values or value specs)"},
        "kwargs": {"type": "object", "additionalProperties": VALUE},
        "expect": {**VALUE, "description": "expected result; omit to compute it with the "
                                           "reference"},
        "accept": {"type": "array", "items": VALUE, "description": "other accepted results"},
        "weight": {"type": "number", "exclusiveMinimum": 0},
        "hint": {"type": "string", "description": "shown when this case fails"}}}
MISCONCEPTION = {
    "type": "object", "required": ["id", "hint"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"},
        "hint": {"type": "string", "minLength": 1},
        "when": {"description": "the wrong answer (a literal value or formula)"},
        "when_any": {"type": "array", "description": "several wrong answers"},
        "reference": {"type": "string", "pattern": r"^[A-Za-z_][\w.]*$",
                      "description": "module.function in the reference folder that produces "
                                     "the wrong answer for each case"},
        "per_case": {"type": "object", "additionalProperties": VALUE,
                     "description": "function items: the wrong answer for each case, by case "
                                    "name (what 'reference' would compute)"},
        "nonfinite": {"type": "boolean", "description": "matches NaN or infinite output"}}}
COMMON_ITEM = {
    "id": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"},
    "title": {"type": "string", "minLength": 1},
    "description": {"type": "string"},
    "points": {"type": "number", "minimum": 0},
    "kind": {"type": "string"},
    "module": {"type": "string", "pattern": IDENTIFIER},
    "name": {"type": "string", "pattern": IDENTIFIER},
    "hidden": {"type": "boolean"},
}


def schema() -> dict:
    """The rubric format as a JSON Schema (2020-12), including every registered check kind."""
    from grader.checks import check_kinds

    kinds = check_kinds()
    item = {
        "type": "object", "required": ["id", "title", "points", "kind"],
        "properties": {**COMMON_ITEM, "kind": {"enum": sorted(kinds)}},
        "allOf": [{"if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
                   "then": kind.schema} for name, kind in sorted(kinds.items())],
        "unevaluatedProperties": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "grader rubric",
        "type": "object", "required": ["assignment", "items"], "additionalProperties": False,
        "properties": {
            "assignment": {"type": "object", "required": ["id", "title"],
                           "additionalProperties": False,
                           "properties": {"id": {"type": "string", "pattern": r"^[\w.-]+$"},
                                          "title": {"type": "string"},
                                          "course": {"type": "string"},
                                          "description": {"type": "string"}}},
            "reference": {"type": "string", "description": "folder with the reference solution"},
            "defaults": {"type": "object", "additionalProperties": False,
                         "properties": {"tolerance": TOLERANCE,
                                        "timeout": {"type": "number", "exclusiveMinimum": 0}}},
            "limits": {"type": "object", "additionalProperties": False,
                       "properties": {
                           "import_timeout": {"type": "number", "exclusiveMinimum": 0},
                           "submission_timeout": {"type": "number", "exclusiveMinimum": 0},
                           "memory_mb": {"type": "integer", "minimum": 64},
                           "disk_mb": {"type": "integer", "minimum": 1},
                           "output_chars": {"type": "integer", "minimum": 0}}},
            "items": {"type": "array", "minItems": 1, "items": item}},
        "$defs": {"value": _VALUE_DEF}}


def _validate(data: Any, node: yaml.Node | None, file: str, digest: str = "") -> None:
    """Check ``data`` against the schema; a file whose bytes passed before is not re-checked
    (validation and importing jsonschema take ~0.3 s, most of loading a rubric)."""
    from grader.cache import cache_dir

    folder = cache_dir("valid-rubrics")
    stamp = folder / digest if folder is not None and digest else None
    if stamp is not None and stamp.exists():
        return
    _check_schema(data, node, file)
    if stamp is not None:
        try:
            stamp.touch()
        except OSError:
            pass


def _check_schema(data: Any, node: yaml.Node | None, file: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    relevance = jsonschema.exceptions.relevance
    # A failing kind-specific field also makes it "unevaluated" at the item level: report
    # the real problem, not "unknown key".
    error = jsonschema.exceptions.best_match(
        validator.iter_errors(data),
        key=lambda e: (e.validator != "unevaluatedProperties", *relevance(e)))
    if error is None:
        return
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        problem, path = "required", path + [missing.group(1) if missing else "?"]
    elif error.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = re.findall(r"'([^']+)'", error.message)
        problem = f"unknown key {extra[0]!r}" if extra else "unknown key"
        if extra:
            path = path + [extra[0]]
    elif error.validator == "enum":
        problem = f"must be one of {', '.join(map(str, error.validator_value))}"
    elif error.validator == "type":
        problem = f"must be {_article(error.validator_value)} (got {_yaml_type(error.instance)})"
    elif error.validator == "minimum":
        problem = f"must be at least {error.validator_value:g} (got {error.instance!r})"
    elif error.validator == "exclusiveMinimum":
        problem = f"must be more than {error.validator_value:g} (got {error.instance!r})"
    elif error.validator in ("minItems", "minProperties") and error.validator_value == 1:
        problem = "must not be empty"
    elif error.validator == "pattern":
        problem = ("must be a Python identifier" if error.validator_value == IDENTIFIER else
                   "may hold only letters, digits, '_', '.' and '-'") + f" (got {error.instance!r})"
    else:
        problem = error.message
    raise RubricError(file, problem, key_path(path) or "(top level)", _line_of(node, path))


def _article(t: Any) -> str:
    names = [{"object": "mapping", "array": "list"}.get(n, n)
             for n in (t if isinstance(t, list) else [t])]
    return " or ".join(("an " if n[0] in "aeiou" else "a ") + n for n in names)


def _yaml_type(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            type(None): "nothing"}.get(type(value), "a number")


# --- building the model ------------------------------------------------------


class Reference:
    """The rubric's trusted reference solution: modules in a folder, loaded on demand.

    Modules are imported with the folder first on sys.path (so they may import
    each other), then removed from sys.modules again, so two rubrics whose
    reference modules share names never see each other's.
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._modules: dict[str, Any] = {}

    def get(self, dotted: str) -> Any:
        module, _, name = dotted.rpartition(".")
        if self.folder is None:
            raise LookupError("the rubric has no 'reference' folder")
        if not module or not name:
            raise LookupError(f"{dotted!r} should be module.name")
        mod = self._load(module)
        if not hasattr(mod, name):
            raise LookupError(f"the reference module {module}.py has no {name}")
        return getattr(mod, name)

    def _load(self, module: str) -> Any:
        if module not in self._modules:
            own = {p.stem for p in self.folder.glob("*.py")} | {
                p.name for p in self.folder.iterdir() if (p / "__init__.py").exists()}
            saved = {name: sys.modules.pop(name) for name in list(sys.modules)
                     if name.split(".")[0] in own}
            before = set(sys.modules)
            sys.path.insert(0, str(self.folder))
            try:
                self._modules[module] = importlib.import_module(module)
            except ModuleNotFoundError as e:
                raise LookupError(f"no reference module {module}.py ({e})") from None
            except Exception as e:
                raise LookupError(f"the reference module {module}.py failed to import: "
                                  f"{type(e).__name__}: {e}") from None
            finally:
                sys.path.remove(str(self.folder))
                for name in set(sys.modules) - before:  # only ours: keep the packages it used
                    if name.split(".")[0] in own:
                        del sys.modules[name]
                sys.modules.update(saved)
        return self._modules[module]


class BuildContext:
    """What a check kind needs to turn its YAML into an ``Item``: where it is, the
    defaults, the reference, and helpers that raise well-placed ``RubricError``s."""

    def __init__(self, file: Path, node: yaml.Node | None, reference: Reference,
                 tolerance: Tolerance, timeout: float):
        self.file, self.node, self.reference = file, node, reference
        self.tolerance, self.timeout = tolerance, timeout

    def error(self, path: list, problem: str) -> RubricError:
        return RubricError(str(self.file), problem, key_path(path), _line_of(self.node, path))

    def reference_value(self, dotted: str, path: list) -> Any:
        try:
            return self.reference.get(dotted)
        except LookupError as e:
            raise self.error(path, str(e)) from None

    def reference_function(self, dotted: str, path: list) -> Callable[..., Any]:
        fn = self.reference_value(dotted, path)
        if not callable(fn):
            raise self.error(path, f"{dotted} in the reference is not a function")

        def call(args: tuple, kwargs: dict) -> Any:
            try:  # copies: a reference that mutates its inputs must not change the case
                return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            except Exception as e:
                raise self.error(path, f"the reference {dotted} raised {type(e).__name__}: {e}") \
                    from None
        return call

    def value(self, spec: Any, path: list) -> Any:
        """A concrete value from a YAML literal or a value spec ({random: ...}, {ones: ...})."""
        if isinstance(spec, list):
            return [self.value(v, path + [i]) for i, v in enumerate(spec)]
        if not isinstance(spec, dict):
            return spec
        if len(spec) == 1 and next(iter(spec)) in VALUE_SPECS:
            (kind, body), = spec.items()
            try:
                return _make_value(kind, body, self, path + [kind])
            except (TypeError, ValueError) as e:
                raise self.error(path + [kind], f"cannot build the value: {e}") from None
        return {k: self.value(v, path + [k]) for k, v in spec.items()}

    def tolerance_from(self, raw: dict | None) -> Tolerance:
        raw = raw or {}
        return Tolerance(rtol=float(raw.get("rtol", self.tolerance.rtol)),
                         atol=float(raw.get("atol", self.tolerance.atol)))


def _make_value(kind: str, body: Any, ctx: BuildContext, path: list) -> Any:
    if kind == "array":
        return np.array(ctx.value(body, path))
    if kind == "tuple":
        return tuple(ctx.value(body, path))
    if kind in ("ones", "zeros"):
        return (np.ones if kind == "ones" else np.zeros)(tuple(body))
    if kind == "full":
        return np.full(tuple(body["shape"]), float(body["value"]))
    rng = np.random.default_rng(body["seed"])
    shape, dist = tuple(body["shape"]), body.get("dist", "normal")
    if dist == "normal":
        out = rng.normal(body.get("mean", 0.0), body.get("std", 1.0), shape)
    elif dist == "uniform":
        out = rng.uniform(body.get("low", 0.0), body.get("high", 1.0), shape)
    else:
        out = rng.integers(int(body.get("low", 0)), int(body.get("high", 10)), shape)
    if body.get("zeros"):
        out[rng.random(shape) < body["zeros"]] = 0
    return out.astype(body["dtype"]) if "dtype" in body else out


def load_rubric(path: str | Path, context: Any = None) -> Rubric:
    """Load, validate and build a rubric from a rubric.yaml file or a folder holding one.

    With a GradeContext, the check kinds the rubric uses are warmed up as soon
    as they are known (the algebra process imports sympy while the rest loads).
    """
    from grader.checks import check_kinds

    path = Path(path)
    if path.is_dir():
        path = path / "rubric.yaml"
    if not path.is_file():
        raise RubricError(str(path), "no such rubric file")
    data, node = read_yaml(path)
    kinds = check_kinds()
    if context is not None and isinstance(data, dict) and isinstance(data.get("items"), list):
        used = {i.get("kind") for i in data["items"] if isinstance(i, dict)}
        for name in sorted(used & set(kinds), key=str):
            prepare = getattr(kinds[name], "prepare", None)
            if prepare is not None:
                prepare(context)
    _validate(data, node, str(path), _schema_digest(path))
    ids: dict[str, int] = {}
    for index, raw in enumerate(data["items"]):
        if raw["id"] in ids:
            raise RubricError(str(path), f"duplicate item id {raw['id']!r} (also items"
                              f"[{ids[raw['id']]}])", f"items[{index}].id",
                              _line_of(node, ["items", index, "id"]))
        ids[raw["id"]] = index
    folder = (path.parent / data["reference"]) if "reference" in data else None
    if folder is not None and not folder.is_dir():
        raise RubricError(str(path), f"no such folder {folder}", "reference",
                          _line_of(node, ["reference"]))
    defaults = data.get("defaults", {})
    ctx = BuildContext(path, node, Reference(folder), Tolerance(),
                       float(defaults.get("timeout", Limits.call_timeout)))
    ctx.tolerance = ctx.tolerance_from(defaults.get("tolerance"))
    items = tuple(kinds[raw["kind"]].build(raw, ctx, ["items", i])
                  for i, raw in enumerate(data["items"]))
    limits = Limits(call_timeout=ctx.timeout, **data.get("limits", {}))
    meta = data["assignment"]
    return Rubric(id=meta["id"], title=meta["title"], course=meta.get("course", ""),
                  path=path, items=items, limits=limits, fingerprint=_fingerprint(path, folder))


def _schema_digest(path: Path) -> str:
    """What decides a validation's outcome: the rubric's bytes and the schema itself."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps(schema(), sort_keys=True).encode())
    return digest.hexdigest()


def _fingerprint(path: Path, reference: Path | None) -> str:
    digest = hashlib.sha256(path.read_bytes())
    if reference is not None:
        for file in sorted(reference.rglob("*.py")):
            digest.update(str(file.relative_to(reference)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]
