"""Load: a policy tree on disk → ``Layer`` objects, with every problem located.

A layer is a folder: ``policies/common``, ``policies/<region>``, or a sub-jurisdiction
``policies/<region>/<sub>``. Every ``*.yaml`` directly in the folder is read (the
``tests`` folder holds worked cases and is not a layer), checked against the JSON Schema,
and turned into sources, parameters and rules whose expressions are parsed in place, so
errors point at the line and column inside the YAML file.

The tree is read as files, safely: a link is followed only while it stays inside the
tree, a link to nothing and a special file named ``*.yaml`` (a FIFO, a device) are
located errors rather than hangs, the top of the disk is refused as a policy folder, and
a folder with no region in it is an error.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, Related, Span, did_you_mean
from engine.base.yaml_source import LoadedYaml, load_yaml
from engine.household.vocabulary import Vocabulary, read_terms
from engine.language import syntax as s
from engine.language import types as t
from engine.language.parser import Locator, TextLocator, parse_expression
from engine.policy.clauses import seed_problem
from engine.policy.dated_values import read_values
from engine.policy.policy_model import Citation, Layer, Parameter, Rule, Source, Variant, availability_rule
from engine.policy.structure import Path_, schema_problems, value_at
from engine.policy.vocabulary_check import check_vocabulary, tree_vocabulary

NOT_LAYERS = {"tests", "__pycache__"}
FILE_LEVEL = ("E-YAML", "E-SCHEMA")  # problems that keep a whole file out of its layer


@dataclass
class PolicyTree:
    """Every layer found under a policies folder, and what went wrong loading them."""

    root: Path
    layers: dict[str, Layer] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unloaded: dict[str, list[str]] = field(default_factory=dict)  # layer key → its files that did not load
    vocabulary: Vocabulary | None = None  # the common codes and every layer's additions

    @property
    def regions(self) -> list[str]:
        return sorted(k for k, layer in self.layers.items() if layer.kind in ("region", "subregion"))


def layer_folders(root: Path, problems: list[Diagnostic] | None = None) -> Iterator[tuple[str, Path]]:
    """(key, folder) of every layer under ``root``: top-level folders and their sub-jurisdictions."""
    for key, folder, _files in _layers(root, problems if problems is not None else []):
        yield key, folder


def _layers(root: Path, problems: list[Diagnostic]) -> Iterator[tuple[str, Path, list[Path]]]:
    """(key, folder, YAML files) of every layer. Links are followed only while they stay inside the
    tree; what is refused is reported once in ``problems``."""
    inside = root.resolve()
    folders, _files = _entries(root, inside, problems)
    for folder in folders:
        subfolders, files = _entries(folder, inside, problems)
        if files:
            yield folder.name, folder, files
        for sub in subfolders:
            _deeper, sub_files = _entries(sub, inside, problems)
            if sub_files:
                yield f"{folder.name}/{sub.name}", sub, sub_files


def layer_files(folder: Path, root: Path, problems: list[Diagnostic] | None = None) -> list[Path]:
    """The ``*.yaml`` files of one layer folder that are safe to read (regular files inside the tree)."""
    return _entries(folder, root.resolve(), problems if problems is not None else [])[1]


def tree_files(root: Path) -> list[Path]:
    """Every policy file ``load_tree`` reads under ``root`` (to notice when one changes)."""
    if not root.is_dir() or _whole_disk(root):
        return []
    return [path for _key, _folder, files in _layers(root, []) for path in files]


def _entries(folder: Path, inside: Path, problems: list[Diagnostic]) -> tuple[list[Path], list[Path]]:
    """(layer folders, YAML files) directly in ``folder``; links out of the tree, links to nothing and
    special files (a FIFO, a device…) named ``*.yaml`` are reported and left out."""
    folders: list[Path] = []
    files: list[Path] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        problems.append(Diagnostic("E-POLICY", f"cannot read the folder: {error.strerror or error}",
                                   Span(display_name(folder), 1, 1)))
        return folders, files
    for entry in entries:
        path = Path(entry.path)
        is_yaml = entry.name.endswith(".yaml")
        try:
            if entry.is_symlink():
                target = Path(os.path.realpath(path))
                if not target.exists():
                    problems.append(_refused(path, "is a link to nothing"))
                    continue
                if target != inside and inside not in target.parents:
                    problems.append(_refused(path, f"links outside the policy folder (to {target})"))
                    continue
            mode = path.stat().st_mode
        except (OSError, ValueError) as error:
            problems.append(_refused(path, f"cannot be read: {getattr(error, 'strerror', None) or error}"))
            continue
        if stat.S_ISDIR(mode):
            if entry.name not in NOT_LAYERS and not is_yaml:
                folders.append(path)
        elif is_yaml and stat.S_ISREG(mode):
            files.append(path)
        elif is_yaml:
            problems.append(_refused(path, "is not a regular file (a FIFO, a socket or a device is never read)"))
    return folders, files


def _refused(path: Path, why: str) -> Diagnostic:
    return Diagnostic("E-POLICY", f"{path.name} {why}", Span(_unresolved_name(path), 1, 1))


def _unresolved_name(path: Path) -> str:
    """A path named as it is in the tree, its links not followed."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def _whole_disk(root: Path) -> bool:
    resolved = root.resolve()
    return resolved == Path(resolved.anchor)


def load_tree(root: Path) -> PolicyTree:
    """Load every layer under ``root``; problems are collected, never raised."""
    tree = PolicyTree(root)
    where = Span(display_name(root), 1, 1)
    if not root.is_dir():
        tree.diagnostics.append(Diagnostic("E-POLICY", f"no policy folder at {root}", where))
        return tree
    if _whole_disk(root):
        tree.diagnostics.append(Diagnostic("E-POLICY", f"{root} is the top of the disk, not a policy folder; give the "
                                           "folder that holds common/ and one folder per region", where))
        return tree
    for key, folder, files in _layers(root, tree.diagnostics):
        layer, problems = load_layer(key, folder, root, files)
        tree.diagnostics.extend(problems)
        failed = sorted({d.span.file for d in problems if d.code in FILE_LEVEL and d.span is not None})
        if failed:
            tree.unloaded[key] = failed
        if layer is not None:
            tree.layers[key] = layer
    if not tree.regions and not tree.diagnostics:
        tree.diagnostics.append(Diagnostic("E-POLICY", f"no region found in {root}: a policy folder holds common/ "
                                           "and one folder per region, each with its policy files (*.yaml)", where))
    tree.diagnostics.extend(check_vocabulary(tree.layers))
    tree.vocabulary = tree_vocabulary(tree.layers)
    return tree


def load_layer(key: str, folder: Path, root: Path,
               files: list[Path] | None = None) -> tuple[Layer | None, list[Diagnostic]]:
    """Read one folder's YAML files (``files``, or those ``layer_files`` finds) into a ``Layer``."""
    problems: list[Diagnostic] = []
    documents: list[LoadedYaml] = []
    for path in files if files is not None else layer_files(folder, root, problems):
        try:
            loaded = load_yaml(path, name=display_name(path))
        except DiagnosticError as error:
            problems.extend(error.diagnostics)
            continue
        if loaded.data is None:
            continue
        structural = list(schema_problems(loaded))
        problems.extend(structural)
        if not structural:
            documents.append(loaded)
    builder = LayerBuilder(key, folder, problems)
    return builder.build(documents), problems


def display_name(path: Path) -> str:
    """How diagnostics name a file: relative to the working folder when inside it, so carets can read it."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


# --- building the model -------------------------------------------------------------


def _first_definition(layer: Layer, name: str) -> tuple[Related, ...]:
    """Where ``name`` was first defined in the layer, as a related place of its second definition."""
    first = layer.parameters.get(name) or layer.rules.get(name)
    return (Related(first.span, "the first definition"),) if first is not None else ()


class LayerBuilder:
    """Turns the validated documents of one folder into a ``Layer``."""

    def __init__(self, key: str, folder: Path, problems: list[Diagnostic]) -> None:
        self.key = key
        self.folder = folder
        self.problems = problems

    def error(self, code: str, message: str, span: Span, suggestion: str | None = None,
              related: tuple[Related, ...] = ()) -> None:
        self.problems.append(Diagnostic(code, message, span, suggestion=suggestion, related=related))

    def build(self, documents: list[LoadedYaml]) -> Layer | None:
        headers = [d for d in documents if isinstance(d.data, dict) and "policy" in d.data]
        if not headers:
            if not any(d.code in FILE_LEVEL for d in self.problems):  # else the header may be in a broken file
                where = Span(display_name(self.folder / "policy.yaml"), 1, 1)
                self.error("E-POLICY", f"the folder {self.folder.name} has no `policy:` block (id, kind, name, "
                           "version, span)", where)
            return None
        for extra in headers[1:]:
            self.error("E-POLICY", f"a second `policy:` block (the first is in {headers[0].file})",
                       extra.key_span(("policy",)))
        layer = self.header(headers[0])
        if layer is None:
            return None
        for doc in documents:
            layer.files.append(doc.file)
            assert isinstance(doc.data, dict)
            for source_id in doc.data.get("sources", {}) or {}:
                self.add_source(layer, doc, source_id)
            for name in doc.data.get("parameters", {}) or {}:
                self.add_parameter(layer, doc, name)
            for name in doc.data.get("rules", {}) or {}:
                self.add_rule(layer, doc, name)
            layer.vocabulary += read_terms(doc, self.key)
        return layer

    def header(self, doc: LoadedYaml) -> Layer | None:
        assert isinstance(doc.data, dict)
        data: dict[str, Any] = doc.data["policy"]
        start = self.read_date(doc, ("policy", "span", "from"))
        end = self.read_date(doc, ("policy", "span", "to"))
        if start is None or end is None:
            return None
        if end < start:
            self.error("E-RANGE", f"the span ends ({end}) before it starts ({start})", doc.span(("policy", "span")))
        if start.year < 1900 or end.year > 2100:
            self.error("E-POLICY", f"the span {start} – {end} must lie within 1900 – 2100",
                       doc.span(("policy", "span")))
            return None
        expected_kind = "subregion" if "/" in self.key else ("common" if self.key == "common" else "region")
        if data["kind"] != expected_kind:
            self.error("E-POLICY", f"the folder {self.key} holds a {expected_kind}, but its policy says kind "
                       f"{data['kind']!r}", doc.span(("policy", "kind")))
        folder_id = self.key.split("/")[-1]
        if data["id"] != folder_id:
            self.error("E-POLICY", f"policy id {data['id']!r} differs from its folder name {folder_id!r}",
                       doc.span(("policy", "id")))
        return Layer(
            key=self.key, id=data["id"], kind=data["kind"], name=data["name"], version=str(data["version"]),
            span_from=start, span_to=end, span=doc.key_span(("policy",)), inherits=data.get("inherits"),
            inherits_span=doc.span(("policy", "inherits")) if "inherits" in data else None,
            province=data.get("province"), admin_code=data.get("admin_code"), note=data.get("note"),
            folder=str(self.folder),
        )

    def read_date(self, doc: LoadedYaml, path: Path_) -> date | None:
        value = value_at(doc.data, path)
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error("E-DATE", f"{value} is not a real date", doc.span(path))
            return None

    def optional_date(self, doc: LoadedYaml, path: Path_) -> tuple[bool, date | None]:
        value = value_at(doc.data, path)
        if value is None:
            return True, None
        found = self.read_date(doc, path)
        return found is not None, found

    def citation(self, doc: LoadedYaml, path: Path_) -> Citation:
        data = value_at(doc.data, path)
        return Citation(doc=str(data["doc"]), clause=str(data["clause"]), span=doc.span(path), rule=data.get("rule"),
                        confidence=data.get("confidence"), quote=data.get("quote"))

    def expression(self, doc: LoadedYaml, path: Path_) -> s.Node | None:
        value = value_at(doc.data, path)
        if isinstance(value, list):
            return self.set_value(doc, path, value)
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        locator: Locator | None = doc.scalar_source(path)
        if locator is None:
            span = doc.span(path)
            locator = TextLocator(span.file, text, span.line, span.column)
        try:
            return parse_expression(text, locator)
        except DiagnosticError as error:
            self.problems.extend(error.diagnostics)
            return None

    def set_value(self, doc: LoadedYaml, path: Path_, items: list[Any]) -> s.Node | None:
        """A set written as a YAML list (``[medical, education]``, ``[]``): each text item is a text, as if
        quoted; any other item is read as a constant of the rules language."""
        read: list[s.Node | None] = [s.Literal(doc.span((*path, index)), "text", item) if isinstance(item, str)
                                     else self.expression(doc, (*path, index)) for index, item in enumerate(items)]
        if any(item is None for item in read):
            return None
        return s.SetLiteral(doc.span(path), tuple(item for item in read if item is not None))

    def declared_type(self, doc: LoadedYaml, path: Path_) -> t.Type | None:
        text = str(value_at(doc.data, path))
        found = t.parse_type(text)
        if found is None:
            hint = did_you_mean(text, t.TYPE_SYNTAX)
            self.error("E-TYPE-NAME", f"unknown type {text!r}; types are: {', '.join(t.TYPE_SYNTAX)}",
                       doc.span(path), hint)
        return found

    def add_source(self, layer: Layer, doc: LoadedYaml, source_id: str) -> None:
        path: Path_ = ("sources", source_id)
        if source_id in layer.sources:
            self.error("E-DUPLICATE", f"source {source_id!r} is declared twice (also at "
                       f"{layer.sources[source_id].span})", doc.key_span(path),
                       related=(Related(layer.sources[source_id].span, "the first declaration"),))
            return
        data = value_at(doc.data, path)
        for key in ("issued", "published"):
            if key in data:
                self.read_date(doc, (*path, key))
        if data.get("seed") is not None and seed_problem(str(data["seed"])):
            self.error("E-SEED", f"seed {data['seed']!r}: {seed_problem(str(data['seed']))}", doc.span((*path, "seed")))
        layer.sources[source_id] = Source(
            id=source_id, title=data["title"], span=doc.key_span(path), number=data.get("number"),
            issued=data.get("issued"), published=data.get("published"), seed=data.get("seed"), url=data.get("url"),
            confidence=data.get("confidence"), note=data.get("note"))

    def add_parameter(self, layer: Layer, doc: LoadedYaml, name: str) -> None:
        path: Path_ = ("parameters", name)
        if self.defined_twice(layer, doc, name, path):
            return
        data = value_at(doc.data, path)
        declared = self.declared_type(doc, (*path, "type"))
        values = read_values(self, doc, path)
        default = self.citation(doc, (*path, "source")) if isinstance(data.get("source"), dict) else None
        layer.parameters[name] = Parameter(name=name, type=declared or t.ANY, label=data["label"], values=tuple(values),
                                           span=doc.key_span(path), layer=self.key, note=data.get("note"),
                                           source=default, keyed=isinstance(data["values"], dict))

    def defined_twice(self, layer: Layer, doc: LoadedYaml, name: str, path: Path_) -> bool:
        """Report a parameter or rule whose name the layer already defines (pointing at the first)."""
        if name not in layer.rules and name not in layer.parameters:
            return False
        self.error("E-DUPLICATE", f"{name} is defined twice in this layer", doc.key_span(path),
                   related=_first_definition(layer, name))
        return True

    def get(self, doc: LoadedYaml, path: Path_) -> Any:
        """The data at ``path`` of a document (None where the path stops)."""
        return value_at(doc.data, path)

    def add_rule(self, layer: Layer, doc: LoadedYaml, name: str) -> None:
        path: Path_ = ("rules", name)
        if self.defined_twice(layer, doc, name, path):
            return
        data = value_at(doc.data, path)
        declared = self.declared_type(doc, (*path, "type"))
        variants: list[Variant] = []
        if "variants" in data:
            for index, _item in enumerate(data["variants"]):
                variant = self.variant(doc, (*path, "variants", index))
                if variant is not None:
                    variants.append(variant)
        else:
            body = self.body(doc, path)
            if body is not None:
                variants.append(Variant(None, None, body, self.citation(doc, (*path, "source")), doc.span(path)))
        if len(variants) != len(data.get("variants", [None])):
            return
        available = self.availability(layer, doc, name, data) if "available_when" in data else None
        layer.rules[name] = Rule(name=name, type=declared or t.ANY, label=data["label"], variants=tuple(variants),
                                 span=doc.key_span(path), layer=self.key, scope=data.get("scope", "household"),
                                 output=bool(data.get("output", False)), note=data.get("note"), available=available)

    def availability(self, layer: Layer, doc: LoadedYaml, name: str, data: dict[str, Any]) -> str | None:
        """``available_when``: a condition, kept as a rule of its own, under which the output has a value."""
        path: Path_ = ("rules", name, "available_when")
        if data.get("scope", "household") != "household":
            self.error("E-SCOPE", "available_when is for household rules: a member rule has a value for every member",
                       doc.span(path))
            return None
        condition = self.expression(doc, path)
        if condition is None:
            return None
        hidden = availability_rule(name)
        source = self.citation(doc, ("rules", name, "source"))
        layer.rules[hidden] = Rule(name=hidden, type=t.BOOL, label=f"{data['label']}: available",
                                   variants=(Variant(None, None, condition, source, doc.span(path)),),
                                   span=doc.span(path), layer=self.key)
        return hidden

    def variant(self, doc: LoadedYaml, path: Path_) -> Variant | None:
        data = value_at(doc.data, path)
        start = self.read_date(doc, (*path, "from"))
        ok, end = self.optional_date(doc, (*path, "to"))
        body = self.body(doc, path)
        if start is None or not ok or body is None:
            return None
        if end is not None and end < start:
            self.error("E-RANGE", f"this variant ends ({end}) before it starts ({start})", doc.span(path))
        return Variant(start, end, body, self.citation(doc, (*path, "source")), doc.span(path), data.get("note"))

    def body(self, doc: LoadedYaml, path: Path_) -> s.Node | None:
        data = value_at(doc.data, path)
        if "expr" in data:
            return self.expression(doc, (*path, "expr"))
        return self.table(doc, (*path, "table"))

    def table(self, doc: LoadedYaml, path: Path_) -> s.Node | None:
        rows: list[s.CaseRow] = []
        otherwise: s.Node | None = None
        failed = False
        for index, row in enumerate(value_at(doc.data, path)):
            row_path = (*path, index)
            if "else" in row:
                if otherwise is not None:
                    self.error("E-TABLE-UNREACHABLE", "a second `else` row can never match", doc.span(row_path))
                otherwise = self.expression(doc, (*row_path, "else"))
                failed |= otherwise is None
                continue
            if otherwise is not None:
                self.error("E-TABLE-UNREACHABLE", "this row comes after the `else` row and can never match",
                           doc.span(row_path))
            condition = self.expression(doc, (*row_path, "when"))
            value = self.expression(doc, (*row_path, "then"))
            if condition is None or value is None:
                failed = True
                continue
            rows.append(s.CaseRow(doc.span(row_path), condition, value))
        if failed:
            return None
        return s.Cases(doc.span(path), tuple(rows), otherwise)
