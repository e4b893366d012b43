"""The staff pages: regions, calculator, version diff and caseload, rendered on the server.

Every handler is thin: it reads the form, calls the library (the same calls as the CLI)
and fills a template. Problems with what was entered are shown on the page beside the
field they concern, with status 422; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.household.record import (
    DISABILITY_CATEGORIES,
    LABOUR_CAPACITIES,
    REQUEST_KINDS,
    Household,
    read_household_text,
    validate_household,
)
from engine.household.vocabulary import Vocabulary
from engine.runtime.library import PolicyLibrary
from engine.web import charts
from engine.web import household_form as hf
from engine.web.caseload_jobs import OUTPUT_FORMATS, Jobs
from engine.web.text import LANGUAGES, words_for

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_UPLOAD = 50 * 1024 * 1024


def pages_router(get_library: Callable[[], PolicyLibrary], jobs: Jobs) -> APIRouter:
    """The pages, over whichever policy library the server has loaded."""
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def regions_page(request: Request) -> Response:
        from engine.tools.reports import region_summaries

        return _page(request, "regions.html", summaries=region_summaries(get_library()))

    @router.get("/regions/{region:path}", response_class=HTMLResponse)
    def region_page(request: Request, region: str) -> Response:
        from engine.tools.region_document import region_document

        library = get_library()
        try:
            document = region_document(library, region)
        except DiagnosticError as error:
            return _page(request, "problem.html", status=404, problems=[d.message for d in error.diagnostics])
        words = _words(request)
        span_end = date.fromisoformat(document["span"][1])
        charted = {p["name"]: charts.history_chart(p, span_end, words) for p in document["parameters"]}
        return _page(request, "region.html", doc=document, charts=charted)

    @router.get("/calculator", response_class=HTMLResponse)
    def calculator_page(request: Request) -> Response:
        form = {"hukou": "hebi", "region": "hebi", "date": date.today().isoformat()}
        return _calculator(request, get_library(), form)

    @router.post("/calculator", response_class=HTMLResponse)
    async def calculate(request: Request) -> Response:
        submitted = await request.form()
        form, pasted = await _form_and_record(submitted)
        return _calculator(request, get_library(), form, pasted, compare="compare" in submitted,
                           evaluate=not submitted.get("add_member"))

    @router.get("/diff", response_class=HTMLResponse)
    def diff_form(request: Request) -> Response:
        form = {"region": "hebi", "old": "2017-06-30", "new": "2017-07-01", "population": "bundled"}
        if request.query_params.get("region"):
            form.update({k: v for k, v in request.query_params.items() if k in form})
            return _diff(request, get_library(), form, None)
        return _page(request, "diff.html", form=form, regions=get_library().regions, report=None)

    @router.post("/diff", response_class=HTMLResponse)
    async def diff_run(request: Request) -> Response:
        submitted = await request.form()
        form = {k: str(v) for k, v in submitted.items() if isinstance(v, str)}
        upload = submitted.get("households")
        data = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
        return _diff(request, get_library(), form, data)

    @router.get("/caseload", response_class=HTMLResponse)
    def caseload_form(request: Request) -> Response:
        form = {"region": "hebi", "date": "2017-10-01", "format": "csv"}
        return _page(request, "caseload.html", form=form, regions=get_library().regions, formats=OUTPUT_FORMATS)

    @router.post("/caseload", response_class=HTMLResponse)
    async def caseload_run(request: Request) -> Response:
        submitted = await request.form()
        form = {k: str(v) for k, v in submitted.items() if isinstance(v, str)}
        uploads = [(f.filename or "", await f.read(MAX_UPLOAD + 1)) for f in submitted.getlist("files")
                   if isinstance(f, UploadFile) and f.filename]
        library = get_library()
        try:
            if any(len(data) > MAX_UPLOAD for _, data in uploads):
                raise DiagnosticError([Diagnostic("E-UPLOAD", f"a file is larger than {MAX_UPLOAD // 2**20} MB")])
            as_of = _date(form.get("date", ""), "date")
            job = jobs.start(library, form.get("region", ""), as_of, _overrides(form.get("overrides", "")),
                             uploads, form.get("format", "csv"))
        except DiagnosticError as error:
            return _page(request, "caseload.html", status=422, form=form, regions=library.regions,
                         formats=OUTPUT_FORMATS, problems=[d.message for d in error.diagnostics])
        return RedirectResponse(f"/caseload/jobs/{job.id}", status_code=303)

    @router.get("/caseload/jobs/{job_id}", response_class=HTMLResponse)
    def caseload_job(request: Request, job_id: str) -> Response:
        job = jobs.get(job_id)
        if job is None:
            return _page(request, "problem.html", status=404, problems=[_words(request)("not found")])
        return _page(request, "caseload_job.html", job=job)

    @router.get("/caseload/jobs/{job_id}/{which}")
    def caseload_file(request: Request, job_id: str, which: str) -> Response:
        job = jobs.get(job_id)
        if job is None or job.state != "done" or which not in ("output", "errors"):
            return _page(request, "problem.html", status=404, problems=[_words(request)("not found")])
        path = job.output if which == "output" else job.errors_file
        return FileResponse(path, filename=path.name)

    return router


# --- calculator ---------------------------------------------------------------------------------------


async def _form_and_record(submitted: FormData) -> tuple[dict[str, str], str | None]:
    """The form's text inputs, and a pasted or uploaded record's text when one was given."""
    form = {k: str(v) for k, v in submitted.items() if isinstance(v, str)}
    upload = submitted.get("record_file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD)
        return form, data.decode("utf-8", "replace")
    pasted = form.get("record", "").strip()
    return form, pasted or None


def _calculator(request: Request, library: PolicyLibrary, form: dict[str, str], pasted: str | None = None,
                compare: bool = False, evaluate: bool = False) -> Response:
    context: dict[str, Any] = {"form": form, "regions": library.regions, "errors": {}, "problems": [],
                               "vocabulary": _vocabulary(library.vocabulary), "slots": hf.member_slots(form),
                               "sizes": _sizes()}
    status = 200
    if evaluate:
        try:
            vocabulary = library.vocabulary if compare else library.vocabulary_of(form.get("region") or None)
            household, _ = _household(form, pasted, vocabulary)
            as_of = _date(form.get("date", ""), "date")
            overrides = _overrides(form.get("overrides", ""))
            if compare:
                from engine.tools.reports import compare_regions

                context["comparison"] = compare_regions(library, household, as_of, overrides)
            else:
                from engine.tools.explain import explain

                context["explanation"] = explain(library, household, form.get("region", ""), as_of, overrides)
        except DiagnosticError as error:
            status = 422
            context["errors"], context["problems"] = hf.field_errors(list(error.diagnostics), _built_of(error))
        if pasted and status == 200:
            context["form"] = {**form, **hf.form_from_record(_raw(pasted))}
            context["slots"] = hf.member_slots(context["form"])
    return _page(request, "calculator.html", status=status, **context)


class _FormProblem(DiagnosticError):
    def __init__(self, diagnostics: list[Diagnostic], built: hf.FormRecord | None) -> None:
        super().__init__(diagnostics)
        self.built = built


def _built_of(error: DiagnosticError) -> hf.FormRecord | None:
    return error.built if isinstance(error, _FormProblem) else None


def _household(form: dict[str, str], pasted: str | None,
               vocabulary: Vocabulary) -> tuple[Household, hf.FormRecord | None]:
    if pasted is not None:
        raw = _raw(pasted)
        try:
            return validate_household(raw, source="record", vocabulary=vocabulary), None
        except DiagnosticError as error:
            raise _FormProblem(list(error.diagnostics), None) from None
    built = hf.record_from_form(form)
    try:
        return validate_household(built.record, source="form", vocabulary=vocabulary), built
    except DiagnosticError as error:
        raise _FormProblem(list(error.diagnostics), built) from None


def _raw(text: str) -> Any:
    """A pasted record: JSON when it starts with ``{``, YAML otherwise (read as the CLI reads files)."""
    fmt = "json" if text.lstrip().startswith("{") else "yaml"
    [(_line, raw)] = list(read_household_text(text, fmt=fmt, source="record"))
    diagnostics = getattr(raw, "diagnostics", None)
    if diagnostics is not None:
        raise _FormProblem(list(diagnostics), None)
    return raw


def _vocabulary(vocabulary: Vocabulary) -> dict[str, list[str]]:
    """The choices of the form's select boxes, from the policy tree's vocabulary of the household record."""
    return {"income": sorted(vocabulary.income_kinds), "expense": sorted(vocabulary.expense_kinds),
            "event": sorted(vocabulary.event_kinds), "cause": sorted(vocabulary.all_causes),
            "capacity": [c for c in ("full", "partial", "none") if c in LABOUR_CAPACITIES],
            "category": sorted(DISABILITY_CATEGORIES), "request": sorted(REQUEST_KINDS),
            "certificate": ["second_generation", "other"], "level": ["compulsory", "high_school", "vocational",
                                                                     "college"]}


def _sizes() -> dict[str, int]:
    return {"incomes": hf.INCOME_SLOTS, "expenses": hf.EXPENSE_SLOTS, "events": hf.EVENT_SLOTS,
            "requests": hf.REQUEST_SLOTS}


# --- diff ----------------------------------------------------------------------------------------------


def _diff(request: Request, library: PolicyLibrary, form: dict[str, str], upload: bytes | None) -> Response:
    from engine.tools.diff import compare_policies, population_impact, side

    region = form.get("region", "")
    try:
        old_library = PolicyLibrary.open(form["old_folder"]) if form.get("old_folder") else library
        new_library = PolicyLibrary.open(form["new_folder"]) if form.get("new_folder") else library
        old = side(f"{region}@{form.get('old')}", old_library, region, _date(form.get("old", ""), "old"), {})
        new = side(f"{region}@{form.get('new')}", new_library, region, _date(form.get("new", ""), "new"), {})
        changes = compare_policies(old, new)
        households = _population(library, region, form.get("population", "none"), upload)
        impact = population_impact(old, new, households).as_dict() if households is not None else None
    except DiagnosticError as error:
        return _page(request, "diff.html", status=422, form=form, regions=library.regions, report=None,
                     problems=[d.message for d in error.diagnostics])
    report = {"old": old.label, "new": new.label, "old_digest": old.digest, "new_digest": new.digest,
              "changes": [c.as_dict() for c in changes], "impact": impact}
    chart = None
    if impact is not None:
        words = _words(request)
        buckets = [(bucket_label(name, words), count) for name, count in
                   _ordered_buckets(impact["benefit_change_buckets"])]
        chart = charts.histogram(buckets, words("benefit changes"))
    return _page(request, "diff.html", form=form, regions=library.regions, report=report, histogram=chart)


def _population(library: PolicyLibrary, region: str, choice: str, upload: bytes | None) -> list[Household] | None:
    """The households the impact is counted on: the bundled caseload of the region, an upload, or none."""
    from engine.household.record import parse_household_text

    if choice == "upload" and upload is not None:
        text, source = upload.decode("utf-8", "replace"), "upload"
    elif choice == "bundled":
        path = bundled_caseload(library, region)
        if path is None:
            return None
        text, source = path.read_text(encoding="utf-8"), str(path.name)
    else:
        return None
    home = region.split("/")[0]
    return [h for h in parse_household_text(text, fmt="jsonl", source=source, vocabulary=library.vocabulary_of(region))
            if isinstance(h, Household) and h.hukou == home]


def bundled_caseload(library: PolicyLibrary, region: str) -> Path | None:
    path = library.root.parent / "examples" / "caseload" / f"{region.split('/')[0]}.jsonl"
    return path if path.is_file() else None


def bucket_label(name: str, words: Callable[[str], str]) -> str:
    """``10 to 100``, ``below -100``, ``no change`` in the page's language."""
    if name == "no change":
        return words(name)
    parts = name.split()
    if parts[0] in ("below", "above"):
        return f"{words('bucket.' + parts[0])} {parts[1]}"
    return f"{parts[0]} {words('bucket.to')} {parts[2]}"


def _ordered_buckets(buckets: dict[str, int]) -> list[tuple[str, int]]:
    def key(name: str) -> Decimal:
        if name == "no change":
            return Decimal(0)
        number = Decimal(name.split()[-1] if name.startswith(("below", "above")) else name.split()[0])
        return number - 1 if name.startswith("below") else number + (1 if name.startswith("above") else 0)

    return sorted(buckets.items(), key=lambda item: key(item[0]))


# --- shared --------------------------------------------------------------------------------------------


def _date(text: str, field: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DiagnosticError([Diagnostic("E-DATE", f"{field}: {text!r} is not a date written YYYY-MM-DD")]) from None


def _overrides(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise DiagnosticError([Diagnostic("E-SET", f"overrides line {number}: write NAME=VALUE, "
                                              "e.g. dibao.standard_annual=3300")])
        found[name.strip()] = value.strip()
    return found


def _language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return asked if asked in LANGUAGES else "zh"


def _words(request: Request) -> Callable[[str], str]:
    return words_for(_language(request))


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    language = _language(request)
    response = TEMPLATES.TemplateResponse(request, template, {
        "lang": language, "w": words_for(language), "other": "en" if language == "zh" else "zh",
        "problems": [], "errors": {}, "json": _json, **context}, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", language, samesite="lax")
    return response


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
