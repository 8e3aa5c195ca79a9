"""The API contract for client teams: the OpenAPI document written out, its committed snapshot, the breaking-change
check against that snapshot, and the generated clients.

    python -m tools.contract write PATH        the document (what GET /v1/openapi.json serves) as JSON
    python -m tools.contract check             fail (exit 1) on a breaking change against docs/openapi.snapshot.json
    python -m tools.contract snapshot          accept the current contract: rewrite docs/openapi.snapshot.json
    python -m tools.contract sdk [--out DIR]   TypeScript types and a Python client, in build/sdk/ by default

Breaking (``breaking_changes``): a path or an operation removed; a success status removed; in a response, a field
removed or no longer always sent, an enum value removed, a type narrowed or widened; in a request, a parameter or a
body field removed or newly required, an enum value removed, a type narrowed. Additions (paths, operations, optional
request fields, response fields, enum values in requests, error codes) are not breaking. Schema names are not part of
the contract: schemas are compared through their ``$ref``s.

The npm tools are those of ``tools/package.json`` (``CONTRACT_TOOLS_BIN``, default ``tools/node_modules/.bin``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "docs" / "openapi.snapshot.json"
TOOLS_BIN = Path(os.environ.get("CONTRACT_TOOLS_BIN") or ROOT / "tools" / "node_modules" / ".bin")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# What the snapshot keeps of each operation: the parts a generated client depends on.
CONTRACT_KEYS = ("operationId", "parameters", "requestBody", "responses", "security")


def document() -> dict[str, Any]:
    import app  # noqa: F401  (every area's routes registered)
    from chalicelib.core.http.openapi import build_document

    return json.loads(json.dumps(build_document()))


def contract_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's content: operations without prose or examples, and the schemas they use."""
    paths = {
        path: {method: {key: _without_prose(op[key]) for key in CONTRACT_KEYS if key in op}
               for method, op in item.items() if method in HTTP_METHODS}
        for path, item in doc["paths"].items()
    }
    return {"openapi": doc["openapi"], "paths": paths,
            "components": {"schemas": _without_prose(doc["components"]["schemas"])}}


def _without_prose(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_prose(value) for key, value in node.items()
                if key not in ("description", "summary", "example", "examples", "title")}
    if isinstance(node, list):
        return [_without_prose(value) for value in node]
    return node


# --------------------------------------------------------------------------------------------- breaking changes


class _Schemas:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.components: dict[str, Any] = doc.get("components", {}).get("schemas", {})

    def resolve(self, schema: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 50:
            schema = self.components.get(schema["$ref"].rsplit("/", 1)[-1], {})
            seen += 1
        return schema if isinstance(schema, dict) else {}


def _branches(schema: dict[str, Any], schemas: _Schemas) -> Iterator[dict[str, Any]]:
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            yield from _branches(schemas.resolve(part), schemas)
    if not any(key in schema for key in ("anyOf", "oneOf")):
        yield schema


def _types(schema: dict[str, Any], schemas: _Schemas) -> set[str] | None:
    """The JSON types a schema accepts (None: any); ``integer`` counts as a kind of ``number``."""
    out: set[str] = set()
    for branch in _branches(schema, schemas):
        values = branch.get("enum", [branch["const"]] if "const" in branch else None)
        if values is not None:
            out |= {_json_type(v) for v in values}
            continue
        kind = branch.get("type")
        if kind is None:
            if "properties" in branch:
                out.add("object")
                continue
            return None
        out |= set(kind if isinstance(kind, list) else [kind])
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "string")


def _accepts(types: set[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _enum(schema: dict[str, Any], schemas: _Schemas) -> set[Any] | None:
    values: set[Any] = set()
    for branch in _branches(schema, schemas):
        found = branch.get("enum", [branch["const"]] if "const" in branch else None)
        if found is None:
            if branch.get("type") != "null":
                return None  # a free value in some branch: no closed list
            continue
        values |= {json.dumps(v, sort_keys=True) for v in found}
    return values or None


def _object(schema: dict[str, Any], schemas: _Schemas) -> tuple[dict[str, Any], set[str]] | None:
    props: dict[str, Any] = {}
    required: set[str] = set()
    found = False
    for branch in _branches(schema, schemas):
        if "properties" in branch:
            found = True
            props.update(branch["properties"])
            required |= set(branch.get("required", []))
    return (props, required) if found else None


def _items(schema: dict[str, Any], schemas: _Schemas) -> Any:
    return next((b["items"] for b in _branches(schema, schemas) if "items" in b), None)


class _Comparison:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = _Schemas(old), _Schemas(new)
        self.problems: list[str] = []
        self._seen: set[tuple[str, str, str]] = set()

    def schema(self, old: Any, new: Any, where: str, response: bool) -> None:
        key = (json.dumps(old, sort_keys=True)[:2000], json.dumps(new, sort_keys=True)[:2000], str(response))
        if key in self._seen:  # recursive schemas, and one component used in many places
            return
        self._seen.add(key)
        o, n = self.old.resolve(old), self.new.resolve(new)
        old_types, new_types = _types(o, self.old), _types(n, self.new)
        if old_types is not None:
            lost = {t for t in old_types if new_types is not None and not _accepts(new_types, t)}
            if lost:
                self.problems.append(f"{where}: type narrowed (no longer {', '.join(sorted(lost))})")
        if response and new_types is not None:
            gained = {t for t in new_types if old_types is None or not _accepts(old_types, t)}
            if old_types is not None and gained:
                self.problems.append(f"{where}: type widened in a response (now also {', '.join(sorted(gained))})")
        old_enum, new_enum = _enum(o, self.old), _enum(n, self.new)
        if old_enum is not None and new_enum is not None and old_enum - new_enum:
            self.problems.append(f"{where}: enum value removed ({', '.join(sorted(old_enum - new_enum))})")
        old_obj, new_obj = _object(o, self.old), _object(n, self.new)
        if old_obj is not None:
            self._fields(old_obj, new_obj, where, response)
        old_items, new_items = _items(o, self.old), _items(n, self.new)
        if old_items is not None and new_items is not None:
            self.schema(old_items, new_items, f"{where}[]", response)

    def _fields(self, old: tuple[dict[str, Any], set[str]], new: tuple[dict[str, Any], set[str]] | None,
                where: str, response: bool) -> None:
        old_props, old_required = old
        new_props, new_required = new if new is not None else ({}, set())
        for name, prop in old_props.items():
            if name not in new_props:
                self.problems.append(f"{where}.{name}: field removed")
                continue
            if response and name in old_required and name not in new_required:
                self.problems.append(f"{where}.{name}: no longer always sent")
            self.schema(prop, new_props[name], f"{where}.{name}", response)
        if not response:
            for name in sorted(new_required - old_required):
                self.problems.append(f"{where}.{name}: newly required")


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a client generated from ``old`` would break on against ``new`` (see the module docstring)."""
    cmp = _Comparison(old, new)
    for path, item in old["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            new_op = new["paths"].get(path, {}).get(method)
            if new_op is None:
                cmp.problems.append(f"{where}: operation removed")
                continue
            _parameters(cmp, op, new_op, where)
            old_body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            new_body = new_op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if old_body is not None and new_body is None and new_op.get("requestBody") is None:
                cmp.problems.append(f"{where} request body: no longer accepted")
            elif old_body is not None and new_body is not None:
                cmp.schema(old_body, new_body, f"{where} request", response=False)
            if "requestBody" not in op and new_op.get("requestBody", {}).get("required"):
                cmp.problems.append(f"{where} request body: newly required")
            for status, response in op.get("responses", {}).items():
                if not 200 <= int(status) < 300:
                    continue
                new_response = new_op.get("responses", {}).get(status)
                if new_response is None:
                    cmp.problems.append(f"{where} {status}: success status removed")
                    continue
                for media, content in response.get("content", {}).items():
                    new_content = new_response.get("content", {}).get(media)
                    if new_content is None:
                        cmp.problems.append(f"{where} {status} {media}: no longer answered")
                    elif "schema" in content and "schema" in new_content:
                        cmp.schema(content["schema"], new_content["schema"], f"{where} {status}", response=True)
    return cmp.problems


def _parameters(cmp: _Comparison, op: dict[str, Any], new_op: dict[str, Any], where: str) -> None:
    def by_key(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(p["in"], p["name"].lower() if p["in"] == "header" else p["name"]): p
                for p in operation.get("parameters", []) if "in" in p}

    old, new = by_key(op), by_key(new_op)
    for key, param in old.items():
        if key not in new:
            cmp.problems.append(f"{where} {key[0]} parameter {key[1]}: removed")
            continue
        if new[key].get("required") and not param.get("required"):
            cmp.problems.append(f"{where} {key[0]} parameter {key[1]}: newly required")
        cmp.schema(param.get("schema", {}), new[key].get("schema", {}), f"{where} {key[0]} {key[1]}", response=False)
    for key, param in new.items():
        if key not in old and param.get("required"):
            cmp.problems.append(f"{where} {key[0]} parameter {key[1]}: new and required")


# ------------------------------------------------------------------------------------------------- commands


def write(path: Path, doc: dict[str, Any] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc if doc is not None else document(), ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
    return path


def snapshot() -> Path:
    return write(SNAPSHOT, contract_of(document()))


def check() -> list[str]:
    return breaking_changes(json.loads(SNAPSHOT.read_text(encoding="utf-8")), contract_of(document()))


def npm_tool(name: str) -> str:
    path = TOOLS_BIN / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: `make deps` installs tools/package.json (or set CONTRACT_TOOLS_BIN)")
    return str(path)


def typescript_command(spec: Path, out: Path) -> list[str]:
    """openapi-typescript, with request fields that have a default left optional (its default makes them required)."""
    return [npm_tool("openapi-typescript"), str(spec), "--default-non-nullable", "false", "-o", str(out)]


def python_client_command(spec: Path, out: Path) -> list[str]:
    return [str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--path", str(spec),
            "--output-path", str(out), "--overwrite", "--meta", "none"]


def tool_env() -> dict[str, str]:
    """The generator's post-hooks (ruff) are found on PATH: the project's virtualenv first."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def sdk(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    spec = write(out / "openapi.json")
    subprocess.run(typescript_command(spec, out / "typescript" / "api.d.ts"), check=True)
    subprocess.run(python_client_command(spec, out / "python" / "member_portal_client"), check=True, env=tool_env())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("write").add_argument("path", type=Path)
    sub.add_parser("check")
    sub.add_parser("snapshot")
    sub.add_parser("sdk").add_argument("--out", type=Path, default=ROOT / "build" / "sdk")
    args = parser.parse_args(argv)
    if args.command == "write":
        print(write(args.path))
    elif args.command == "snapshot":
        print(f"wrote {snapshot().relative_to(ROOT)}: the contract as it is now")
    elif args.command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} breaking change(s) against {SNAPSHOT.relative_to(ROOT)}; if they are meant, "
                  "`python -m tools.contract snapshot` accepts them")
            return 1
        print("no breaking change")
    elif args.command == "sdk":
        sdk(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
