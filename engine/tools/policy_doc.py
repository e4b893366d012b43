"""``dibao doc``: a region's rules and parameters as a document people read.

``region_document`` gathers, for every rule and parameter of a region, its label, the
clause it cites with the clause's words (recorded as ``quote:``, else found in the
document under ``sources/``), its expression, the reading note, and for a parameter
its dated values. ``markdown`` and ``html`` lay that out. ``readme_blocks`` gives the
tables a region's README holds between marker comments (the encoded clauses by
catalogue id, and a parameter's history), and ``with_blocks`` puts them in a README's
text, so the README's tables are always what the policy files say.

Markers: ``<!-- dibao doc: rules -->`` … ``<!-- /dibao doc: rules -->`` and
``<!-- dibao doc: history NAME -->`` … ``<!-- /dibao doc: history NAME -->``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.base.i18n import tr
from engine.base.render import escape_markdown
from engine.language.formatter import format_expression
from engine.policy.clauses import clause_text, read_seed
from engine.policy.policy_model import Citation
from engine.policy.resolve import Chain
from engine.runtime.library import PolicyLibrary
from engine.tools.params import History, citation_text, history_of

_BLOCK = re.compile(r"(<!-- dibao doc: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- /dibao doc: (?P=name) -->)",
                    re.DOTALL)


@dataclass
class Entry:
    """One rule or parameter as the document shows it."""

    kind: str  # rule or parameter
    name: str
    label: str
    type: str
    layer: str
    where: str
    note: str = ""
    scope: str = "household"
    output: bool = False
    variants: list[dict[str, Any]] = field(default_factory=list)  # dates, expression, citation, quote, note
    history: History | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "history"}
        if self.history is not None:
            data["history"] = self.history.as_dict()["values"]
        return data


def region_document(library: PolicyLibrary, region: str) -> dict[str, Any]:
    chain = library.region(region).chain
    sources = library.root.parent / "sources"
    own = {layer.key for layer in chain.layers[1:]} or {chain.top.key}
    entries = [_rule_entry(chain, name, sources) for name in chain.rules]
    entries += [_parameter_entry(chain, name, sources) for name in chain.parameters]
    entries.sort(key=lambda e: (e.layer not in own, e.kind != "rule", e.name))
    return {"region": region, "name": chain.top.name, "version": chain.version,
            "span": [chain.span_from.isoformat(), chain.span_to.isoformat()], "own_layers": sorted(own),
            "sources": {k: {"title": s.title, "number": s.number} for k, s in chain.sources.items()},
            "entries": entries}


def _citation(chain: Chain, citation: Citation, sources: Path) -> dict[str, Any]:
    found: dict[str, Any] = {"text": str(citation), "confidence": citation.confidence or ""}
    document = chain.sources.get(citation.doc)
    if citation.quote:
        found["quote"] = citation.quote
    elif document is not None and document.seed:
        text = read_seed(sources, document.seed)
        words = clause_text(text, citation.clause) if text else None
        if words:
            found["quote"] = words
    if document is not None:
        found["title"] = document.title + (f" {document.number}" if document.number else "")
    return found


def _rule_entry(chain: Chain, name: str, sources: Path) -> Entry:
    rule = chain.rules[name]
    entry = Entry("rule", name, rule.label, str(rule.type), rule.layer, str(rule.span), rule.note or "", rule.scope,
                  rule.output or name in chain.outputs())
    for variant in rule.variants:
        dates = "" if variant.start is None and variant.end is None else \
            f"{variant.start or '…'} – {variant.end or 'open'}"
        entry.variants.append({"dates": dates, "expression": format_expression(variant.body),
                               "citation": _citation(chain, variant.source, sources), "note": variant.note or ""})
    return entry


def _parameter_entry(chain: Chain, name: str, sources: Path) -> Entry:
    parameter = chain.parameters[name]
    entry = Entry("parameter", name, parameter.label, str(parameter.type), parameter.layer, str(parameter.span),
                  parameter.note or "", output=name in chain.outputs())
    entry.history = history_of(parameter)
    quoted = {str(v.source): _citation(chain, v.source, sources) for v in parameter.values}
    entry.variants = [{"dates": "", "expression": "", "citation": c, "note": ""} for c in quoted.values()]
    return entry


# --- Markdown and HTML -----------------------------------------------------------------------------


def markdown(document: dict[str, Any]) -> str:
    out = [f"# {document['name']} (`{document['region']}`)", "",
           f"{tr('version')} {document['version']}, {document['span'][0]} – {document['span'][1]}", ""]
    for heading, kind in (("Rules", "rule"), ("Parameters", "parameter")):
        out += [f"## {tr(heading)}", ""]
        for entry in (e for e in document["entries"] if e.kind == kind):
            out += _markdown_entry(entry)
    return "\n".join(out).rstrip() + "\n"


def _markdown_entry(entry: Entry) -> list[str]:
    traits = [entry.type] + ([tr("member")] if entry.scope == "member" else []) + (
        [tr("output")] if entry.output else []) + [f"{tr('layer')} {entry.layer}", entry.where]
    out = [f"### `{entry.name}` {escape_markdown(entry.label)}", "", ", ".join(traits), ""]
    for variant in entry.variants:
        citation = variant["citation"]
        line = f"- {tr('source')}: {escape_markdown(citation['text'])}"
        line += f" ({escape_markdown(citation['title'])})" if citation.get("title") else ""
        out.append(line + (f", {variant['dates']}" if variant["dates"] else ""))
        if citation.get("quote"):
            out.append(f"  > 「{escape_markdown(citation['quote'])}」")
        if variant["expression"]:
            out += ["", "  ~~~dibao", f"  {variant['expression']}", "  ~~~"]
        if variant["note"]:
            out.append(f"  {tr('Reading')}: {_flat(variant['note'])}")
    if entry.note:
        out += ["", f"{tr('Reading')}: {_flat(entry.note)}"]
    if entry.history is not None:
        out += ["", history_markdown(entry.history)]
    return [*out, ""]


def history_markdown(history: History) -> str:
    """The dated values of one parameter as a pipe table."""
    rows = ["| " + " | ".join(tr(h) for h in ("from", "to", "value", "source", "confidence")) + " |",
            "|---|---|---|---|---|"]
    for row in history.values:
        value = row.value if row.value is not None else f"{tr('must be supplied')}: {_flat(row.must_supply or '')}"
        rows.append(f"| {row.start} | {row.end or tr('open')} | {escape_markdown(value)} | "
                    f"{escape_markdown(citation_text(row.source))} | {row.source.get('confidence', '')} |")
    return "\n".join(rows)


def html(document: dict[str, Any]) -> str:
    """The document as one standalone HTML page, laid out as the Markdown one, every text escaped."""
    from html import escape

    parts = ["<!DOCTYPE html>", "<html>", "<head>", '<meta charset="utf-8">',
             f"<title>{escape(document['name'])} ({escape(document['region'])})</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre,code{background:#f4f4f4}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
             "blockquote{color:#444}</style>", "</head>", "<body>",
             f"<h1>{escape(document['name'])} (<code>{escape(document['region'])}</code>)</h1>",
             f"<p>{escape(tr('version'))} {escape(document['version'])}, {document['span'][0]} – "
             f"{document['span'][1]}</p>"]
    for heading, kind in (("Rules", "rule"), ("Parameters", "parameter")):
        parts.append(f"<h2>{escape(tr(heading))}</h2>")
        for entry in (e for e in document["entries"] if e.kind == kind):
            parts += _html_entry(entry)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_entry(entry: Entry) -> list[str]:
    from html import escape

    traits = [entry.type] + ([tr("member")] if entry.scope == "member" else []) + (
        [tr("output")] if entry.output else []) + [f"{tr('layer')} {entry.layer}", entry.where]
    out = [f'<h3 id="{escape(entry.name)}"><code>{escape(entry.name)}</code> {escape(entry.label)}</h3>',
           f"<p>{escape(', '.join(traits))}</p>"]
    for variant in entry.variants:
        citation = variant["citation"]
        title = f" ({escape(citation['title'])})" if citation.get("title") else ""
        dates = f", {escape(variant['dates'])}" if variant["dates"] else ""
        out.append(f"<p>{escape(tr('source'))}: {escape(citation['text'])}{title}{dates}</p>")
        if citation.get("quote"):
            out.append(f"<blockquote>「{escape(citation['quote'])}」</blockquote>")
        if variant["expression"]:
            out.append(f"<pre>{escape(variant['expression'])}</pre>")
        if variant["note"]:
            out.append(f"<p>{escape(tr('Reading'))}: {escape(_flat(variant['note']))}</p>")
    if entry.note:
        out.append(f"<p>{escape(tr('Reading'))}: {escape(_flat(entry.note))}</p>")
    if entry.history is not None:
        head = "".join(f"<th>{escape(tr(h))}</th>" for h in ("from", "to", "value", "source", "confidence"))
        rows = []
        for row in entry.history.values:
            value = row.value if row.value is not None else f"{tr('must be supplied')}: {_flat(row.must_supply or '')}"
            cells = [str(row.start), str(row.end or tr("open")), value, citation_text(row.source),
                     row.source.get("confidence", "")]
            rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
        out.append(f"<table><tr>{head}</tr>{''.join(rows)}</table>")
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- README blocks ----------------------------------------------------------------------------------


def readme_blocks(library: PolicyLibrary, region: str, names: list[str]) -> dict[str, str]:
    """The text of each named block (``rules``, ``history NAME``) for the region's README."""
    chain = library.region(region).chain
    blocks = {}
    for name in names:
        if name == "rules":
            blocks[name] = rules_table(chain)
        elif name.startswith("history "):
            parameter = name.split(" ", 1)[1]
            blocks[name] = history_markdown(history_of(chain.parameters[parameter]))
    return blocks


def rules_table(chain: Chain) -> str:
    """The region's own rules and parameters by catalogue id: clauses, then names with labels (outputs in bold)."""
    own = {layer.key for layer in chain.layers[1:]}
    groups: dict[str, tuple[list[str], list[str]]] = {}
    items: list[tuple[str, Citation, str]] = []
    for name, rule in chain.rules.items():
        if rule.layer in own:
            kind = "member rule" if rule.scope == "member" else ("output" if name in chain.outputs() else "rule")
            items += [(name, v.source, kind) for v in rule.variants]
    for name, parameter in chain.parameters.items():
        if parameter.layer in own:
            kind = "parameter, output" if name in chain.outputs() else "parameter"
            items += [(name, v.source, kind) for v in parameter.values]
    labels = {**{n: r.label for n, r in chain.rules.items()}, **{n: p.label for n, p in chain.parameters.items()}}
    for name, citation, kind in items:
        clauses, names = groups.setdefault(citation.rule or "—", ([], []))
        clause = f"{citation.doc} {citation.clause}"
        if clause not in clauses:
            clauses.append(clause)
        shown = f"**`{name}`** {labels[name]} ({tr(kind)})" if kind.endswith("output") else \
            f"`{name}` {labels[name]} ({tr(kind)})"
        if shown not in names:
            names.append(shown)
    rows = [f"| {tr('catalogue')} | {tr('clauses')} | {tr('rules and parameters')} |", "|---|---|---|"]
    for key in sorted(groups, key=_catalogue_order):
        clauses, names = groups[key]
        names.sort(key=lambda text: text.strip("*`"))
        rows.append(f"| {key} | {escape_markdown('; '.join(clauses))} | {escape_markdown(', '.join(names))} |")
    return "\n".join(rows)


def _catalogue_order(key: str) -> tuple[int, str, int]:
    digits = "".join(ch for ch in key if ch.isdigit())
    return (key == "—", key.rstrip("0123456789"), int(digits or 0))


def block_names(text: str) -> list[str]:
    return [m.group("name") for m in _BLOCK.finditer(text)]


def with_blocks(text: str, blocks: dict[str, str]) -> str:
    """``text`` with the body of each marked block replaced by the generated one."""
    def replace(found: re.Match[str]) -> str:
        body = blocks.get(found.group("name"))
        if body is None:
            return found.group(0)
        return f"{found.group(1)}{body}\n{found.group(4)}"

    return _BLOCK.sub(replace, text)
