"""The household vocabulary of a policy tree: merged per region and per tree, and checked.

The common layer declares the codes (``policies/common/vocabulary.yaml``); a region's layer,
and a sub-jurisdiction's, may add codes its own document introduces. What each reader sees
(docs/policy-files.md, "The household vocabulary"):

* a region's rules, and the households evaluated in it, use the **region's** vocabulary: the
  common layer's codes and the additions of the layers of its chain;
* the **tree's** vocabulary (the common codes and every layer's additions) is what a household
  read without a region may use (``dibao compare`` across regions);
* a tree whose common layer declares no vocabulary has the vocabulary bundled with dibao.

``check_vocabulary`` finds what is wrong, each at the line and column it is written
(``E-VOCABULARY``): a code not written in snake_case, a missing Chinese name or meaning, a
code declared twice in one layer, a region redefining (or removing) a code a layer above it
declares, causes for an event kind no layer defines, two regions giving one code different
names, a contract code missing from the common layer, a source not declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from engine.base.diagnostics import Diagnostic, Related, did_you_mean
from engine.household.vocabulary import COMMON, SECTIONS, WORDS, Term, Vocabulary, bundled_vocabulary
from engine.policy.contract import RECORD_CAUSES, RECORD_CODES
from engine.policy.policy_model import Layer

_CODE = "E-VOCABULARY"
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_Key = tuple[str, str, str | None]

# --------------------------------------------------------------------------------------
# Merging: the common codes (or the bundled ones), then additions


def chain_vocabulary(layers: Sequence[Layer]) -> Vocabulary:
    """The vocabulary of a chain of layers (most general first): the common codes, then each layer's additions."""
    common = layers[0] if layers and layers[0].kind == COMMON else None
    base, origin = _base(common)
    return Vocabulary(_merged(base, [t for layer in layers if layer.kind != COMMON for t in layer.vocabulary]), origin)


def tree_vocabulary(layers: Mapping[str, Layer]) -> Vocabulary:
    """The tree's vocabulary: the common codes and every layer's additions."""
    base, origin = _base(layers.get(COMMON))
    added = [t for key in sorted(layers) if layers[key].kind != COMMON for t in layers[key].vocabulary]
    return Vocabulary(_merged(base, added), origin)


def _base(common: Layer | None) -> tuple[list[Term], str]:
    if common is not None and common.vocabulary:
        return list(common.vocabulary), ", ".join(sorted({t.span.file for t in common.vocabulary}))
    bundled = bundled_vocabulary()
    return list(bundled.terms), bundled.origin


def _merged(base: list[Term], added: list[Term]) -> tuple[Term, ...]:
    """Base terms then additions; an addition that would redefine a code, or give causes to an event kind
    it does not declare itself, is left out (``check_vocabulary`` reports it)."""
    kept: list[Term] = []
    seen: set[_Key] = set()
    for index, term in enumerate([*base, *added]):
        if term.key in seen:
            continue
        if term.section == "causes" and index >= len(base) and not _own_kind(term, kept):
            continue
        seen.add(term.key)
        kept.append(term)
    order = {section: n for n, section in enumerate((*SECTIONS, "causes"))}
    return tuple(sorted(kept, key=lambda t: order[t.section]))  # stable: each section keeps its order


def _own_kind(cause: Term, kept: list[Term]) -> bool:
    """A layer adds causes only to an event kind it adds itself (a record must name a cause of a kind
    that has causes in every region, so a common kind's causes stay the common ones)."""
    return any(t.section == "event_kinds" and t.code == cause.of and t.layer == cause.layer for t in kept)


# --------------------------------------------------------------------------------------
# Checking


def check_vocabulary(layers: Mapping[str, Layer]) -> list[Diagnostic]:
    """Every problem with the vocabulary the layers declare, located."""
    problems: list[Diagnostic] = []
    for key in sorted(layers):
        layer = layers[key]
        ancestors = _ancestors(layers, layer)
        problems += _own_problems(layer)
        problems += _doubles(layer)
        if layer.kind != COMMON:
            problems += _additions(layer, ancestors)
        problems += _sources(layer, ancestors)
    common = layers.get(COMMON)
    if common is not None and common.vocabulary:
        problems += _contract_codes(common)
    problems += _clashes(layers)
    return problems


def _ancestors(layers: Mapping[str, Layer], layer: Layer) -> list[Layer]:
    """The layers ``layer`` inherits from, nearest first, up to the common layer."""
    found: list[Layer] = []
    key = layer.inherits
    while key is not None and key in layers and layers[key] not in found and layers[key] is not layer:
        found.append(layers[key])
        key = layers[key].inherits
    if layer.kind != COMMON and COMMON in layers and layers[COMMON] not in found:
        found.append(layers[COMMON])
    return found


def _own_problems(layer: Layer) -> Iterator[Diagnostic]:
    for term in layer.vocabulary:
        if not _SNAKE.fullmatch(term.code):
            hint = re.sub(r"[^a-z0-9]+", "_", term.code.lower()).strip("_")
            yield Diagnostic(_CODE, f"{term.what()}: a code is lower-case words joined by '_' (snake_case)",
                             term.span, suggestion=hint if _SNAKE.fullmatch(hint) else None)
        if not term.name:
            yield Diagnostic(_CODE, f"{term.what()} has no Chinese name (add `name:`, the name its document uses)",
                             term.span)
        elif not _HAN.search(term.name):
            yield Diagnostic(_CODE, f"{term.what()}: `name` is the Chinese name its document uses, not "
                             f"{term.name!r}", term.span)
        if not term.meaning:
            yield Diagnostic(_CODE, f"{term.what()} has no meaning (add `meaning:`, one line saying what it is)",
                             term.span)
        elif "\n" in term.meaning:
            yield Diagnostic(_CODE, f"{term.what()}: `meaning` is one line", term.span)


def _doubles(layer: Layer) -> Iterator[Diagnostic]:
    """A code declared twice in one layer (in two of its files, or a cause twice)."""
    first: dict[_Key, Term] = {}
    for term in layer.vocabulary:
        if term.key in first:
            yield Diagnostic(_CODE, f"{term.what()} is declared twice in this layer (also at {first[term.key].span})",
                             term.span, related=(Related(first[term.key].span, "the first declaration"),))
        else:
            first[term.key] = term


def _additions(layer: Layer, ancestors: list[Layer]) -> Iterator[Diagnostic]:
    """A region adds codes: it cannot redefine or remove one, nor give causes to an event kind it does not add."""
    above = [t for a in ancestors for t in a.vocabulary]
    if not any(a.kind == COMMON and a.vocabulary for a in ancestors):
        above += bundled_vocabulary().terms
    known = {t.key: t for t in reversed(above)}
    kinds_above = {t.code for t in above if t.section == "event_kinds"}
    own_kinds = {t.code for t in layer.vocabulary if t.section == "event_kinds"}
    for term in layer.vocabulary:
        earlier = known.get(term.key)
        if earlier is not None:
            yield Diagnostic(_CODE, f"{term.what()} is already declared by the {earlier.layer} layer; a region adds "
                             "codes, it cannot redefine or remove one: give the new code a name of its own",
                             term.span, related=(Related(earlier.span, "declared here"),))
        elif term.section == "causes" and term.of not in own_kinds:
            every = sorted(kinds_above | own_kinds)
            if term.of not in kinds_above:
                yield Diagnostic(_CODE, f"causes for an unknown event kind {term.of!r}; the event kinds are: "
                                 f"{', '.join(every)}", term.of_span or term.span,
                                 suggestion=did_you_mean(str(term.of), every))
            else:
                yield Diagnostic(_CODE, f"{term.what()}: a region cannot add causes to an event kind another layer "
                                 "declares (a record must give the same causes in every region); add an event kind "
                                 "of its own instead", term.span)


def _sources(layer: Layer, ancestors: list[Layer]) -> Iterator[Diagnostic]:
    declared = {name for each in (layer, *ancestors) for name in each.sources}
    for term in layer.vocabulary:
        if term.source_doc is not None and term.source_doc not in declared:
            yield Diagnostic("E-CITATION", f"{term.what()} cites {term.source_doc!r}, which is not declared under "
                             f"sources (declared: {', '.join(sorted(declared)) or 'none'})",
                             term.source_span or term.span, suggestion=did_you_mean(term.source_doc, declared))


def _contract_codes(common: Layer) -> Iterator[Diagnostic]:
    """The common vocabulary holds every code the contract's record uses."""
    have = {t.key for t in common.vocabulary}
    where = min((t.span for t in common.vocabulary), key=lambda s: (s.file, s.line))
    wanted: list[_Key] = [(section, code, None) for section, codes in RECORD_CODES.items() for code in codes]
    wanted += [("causes", cause, kind) for kind, causes in RECORD_CAUSES.items() for cause in causes]
    for section, code, of in wanted:
        if (section, code, of) not in have:
            what = f"cause {code!r} of {of} events" if of else f"{WORDS[section]} {code!r}"
            yield Diagnostic(_CODE, f"the common vocabulary has no {what}, which the contract's household record "
                             "uses", where)


def _clashes(layers: Mapping[str, Layer]) -> Iterator[Diagnostic]:
    """Two regions may add the same code only with the same Chinese name: a record means one thing by it."""
    first: dict[_Key, Term] = {}
    for key in sorted(layers):
        if layers[key].kind == COMMON:
            continue
        for term in layers[key].vocabulary:
            other = first.setdefault(term.key, term)
            if other is not term and other.layer != term.layer and other.name != term.name:
                yield Diagnostic(_CODE, f"{term.what()} is also added by the {other.layer} layer, as {other.name!r}; "
                                 "a household record means one thing by a code: use the same name, or another code",
                                 term.span, related=(Related(other.span, "the other addition"),))
