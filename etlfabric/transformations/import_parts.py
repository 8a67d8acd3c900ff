"""Pieces of a dbt project read for import (pure): config() blocks, dbt_project.yml folder
configs, schema names mapped to the organisation's data schemas, and schema.yml tests. Each
refusal is a ValueError whose text is the reason the user reads."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

CONFIG_START = re.compile(r"\{\{-?\s*config\s*\(")
JINJA_CONSTANTS = {"true": True, "false": False, "none": None}
NOT_PLAIN = object()  # a config value that is Jinja, not a literal (var(), env_var() ...)
DEFAULT_SCHEMA = "staging"  # the target schema of the generated profile: where dbt puts it
TESTS = ("not_null", "unique", "accepted_values", "relationships")
REF = re.compile(r"""^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$""")
CONFIG_KEYS = {"materialized", "schema", "target_schema", "unique_key", "enabled"}


def _plain(node: ast.AST):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id.lower() in JINJA_CONSTANTS:
        return JINJA_CONSTANTS[node.id.lower()]
    if isinstance(node, ast.List | ast.Tuple):
        return [_plain(item) for item in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_plain(k): _plain(v) for k, v in zip(node.keys, node.values, strict=True)}
    return NOT_PLAIN


def _config_call(expression: str) -> dict:
    try:
        call = ast.parse(expression, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"its config() block could not be read ({exc.msg})") from exc
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise ValueError("its config() block is not a list of name=value settings")
    return {keyword.arg: _plain(keyword.value) for keyword in call.keywords}


def split_config(text: str) -> tuple[dict, str]:
    """The settings of the {{ config(...) }} blocks and the text without them."""
    settings: dict = {}
    while found := CONFIG_START.search(text):
        end = text.find("}}", found.end())
        if end < 0:
            raise ValueError("its {{ config( block is never closed with }}")
        settings |= _config_call(text[found.start() + 2 : end].strip(" \n\t-"))
        tail = end + 2
        tail += text[tail : tail + 1] == "\n"
        text = text[: found.start()] + text[tail:]
    return settings, text


@dataclass
class ProjectConfig:
    """What dbt_project.yml says: folder paths and per-folder configs (+schema, +materialized)."""

    name: str = ""
    model_paths: tuple[str, ...] = ("models",)
    seed_paths: tuple[str, ...] = ("seeds",)
    snapshot_paths: tuple[str, ...] = ("snapshots",)
    trees: dict = field(default_factory=dict)

    def folder(self, kind: str, parts: tuple[str, ...]) -> dict:
        """The configs dbt_project.yml gives the folder `parts` under `kind` (models, seeds...)."""
        tree = self.trees.get(kind)
        if not isinstance(tree, dict):
            return {}
        out = _own(tree)
        nested = {k: v for k, v in tree.items() if isinstance(v, dict) and not k.startswith("+")}
        node = nested.get(self.name) or (next(iter(nested.values())) if len(nested) == 1 else {})
        out |= _own(node)
        for part in parts:
            node = node.get(part) if isinstance(node.get(part), dict) else {}
            out |= _own(node)
        return out


def _own(node: dict) -> dict:
    return {
        key.removeprefix("+"): value
        for key, value in node.items()
        if key.startswith("+") or (key in CONFIG_KEYS and not isinstance(value, dict))
    }


def _paths(value, default: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        return tuple(v.strip("/") for v in value)
    return default


def read_project_config(text: str) -> ProjectConfig:
    doc = load_yaml(text)
    if not isinstance(doc, dict):
        raise ValueError("dbt_project.yml is not a mapping of settings")
    return ProjectConfig(
        name=str(doc.get("name") or ""),
        model_paths=_paths(doc.get("model-paths"), ("models",)),
        seed_paths=_paths(doc.get("seed-paths"), ("seeds",)),
        snapshot_paths=_paths(doc.get("snapshot-paths"), ("snapshots",)),
        trees={k: doc.get(k) for k in ("models", "seeds", "snapshots")},
    )


def load_yaml(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"the YAML could not be read{where}: {problem}") from exc


def under(path: str, roots: tuple[str, ...]) -> tuple[str, ...] | None:
    """The folders between one of `roots` and the file, or None when it is under none."""
    pure = PurePosixPath(path)
    for root in roots:
        if pure.is_relative_to(root):
            return pure.relative_to(root).parent.parts
    return None


def map_schema(value, schemas: list[str]) -> str:
    """The organisation's data schema a dbt schema name means: the name itself, or the short
    name of an ETL Fabric physical schema (t12_marts → marts)."""
    if value is NOT_PLAIN:
        raise ValueError("its schema is computed with Jinja; give a plain schema name")
    text = str(value or DEFAULT_SCHEMA).strip().lower()
    if text in schemas:
        return text
    prefixed = re.fullmatch(r"t\d+_(.+)", text)
    if prefixed and prefixed.group(1) in schemas:
        return prefixed.group(1)
    raise ValueError(
        f"schema '{text}' is not one of this organisation's data schemas "
        f"({', '.join(schemas) or 'none yet'}); set config(schema=...) or +schema in "
        "dbt_project.yml to one of them"
    )


def _one_test(entry) -> tuple[str, dict]:
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, dict) and "test_name" in entry:
        return str(entry["test_name"]), entry
    if isinstance(entry, dict) and len(entry) == 1:
        name, args = next(iter(entry.items()))
        return str(name), args if isinstance(args, dict) else {}
    raise ValueError(f"a test entry {entry!r} is not a test name or {{name: arguments}}")


def column_tests(entries, column: str) -> tuple[list[dict], list[str]]:
    """The column's supported tests as transformation tests, and why the others were left."""
    tests, problems = [], []
    for entry in entries or []:
        try:
            name, args = _one_test(entry)
        except ValueError as exc:
            problems.append(f"column '{column}': {exc}")
            continue
        name = name.removeprefix("dbt.")
        if name not in TESTS:
            problems.append(
                f"column '{column}': test '{name}' is not supported (only {', '.join(TESTS)})"
            )
            continue
        args = {**args, **(args.get("arguments") or {})}
        test = {"column": column, "test": name}
        if name == "accepted_values":
            test["values"] = args.get("values")
        if name == "relationships":
            target = REF.match(str(args.get("to") or ""))
            if target is None:
                problems.append(
                    f"column '{column}': relationships to {args.get('to')!r} is not supported "
                    "(only to: ref('model'))"
                )
                continue
            test |= {"to": target.group(1), "field": args.get("field")}
        tests.append(test)
    return tests, problems
