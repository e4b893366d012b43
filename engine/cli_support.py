"""The command line in the user's language: click commands whose help is translated when shown.

Help texts are written in English beside each command and option (so the code reads
as it always did); ``LocalizedCommand`` and ``LocalizedGroup`` pass them through the
catalogue (``engine.base.i18n.tr``) when ``--help`` prints them, together with click's own
headings ("Usage:", "Options:", "Commands:"). Every command takes ``--lang``;
without it the locale decides (``zh_CN.UTF-8`` gives Chinese). ``localized`` puts a
diagnostic's words in that language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from engine.base.diagnostics import Diagnostic
from engine.base.i18n import LANGUAGES, language, set_language, tr, tr_message


class LocalizedFormatter(click.HelpFormatter):
    """click's help formatter with its headings translated."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, tr(prefix or "Usage: "))

    def write_heading(self, heading: str) -> None:
        colon = ":" if tr("Options") == "Options" else "："
        self.write(f"{'':>{self.current_indent}}{tr(heading)}{colon}\n")


class LocalizedContext(click.Context):
    formatter_class = LocalizedFormatter


class LocalizedCommand(click.Command):
    """A command whose help is shown in the user's language, and which takes ``--lang``."""

    context_class = LocalizedContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_language_parameter())

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _with_translated_help(self, lambda: super(LocalizedCommand, self).format_help_text(ctx, formatter))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_options(self, ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        return _short_help(self, limit)


class LocalizedGroup(click.Group):
    """A group of localized commands; it takes ``--lang`` too."""

    command_class = LocalizedCommand
    context_class = LocalizedContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_language_parameter())

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _with_translated_help(self, lambda: super(LocalizedGroup, self).format_help_text(ctx, formatter))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        return _short_help(self, limit)


LocalizedGroup.group_class = LocalizedGroup


def _with_translated_help(command: click.Command, draw: Callable[[], None]) -> None:
    original = command.help
    command.help = tr(original) if original else original
    try:
        draw()
    finally:
        command.help = original


def _short_help(command: click.Command, limit: int) -> str:
    """The first sentence of the (translated) help, as click shows it in a list of commands."""
    if command.short_help:
        return tr(command.short_help)
    text = " ".join(tr(command.help or "").split("\n\n")[0].split())
    for stop in (". ", "。"):
        text = text.split(stop)[0]
    text = text.rstrip(".")
    return text if len(text) <= limit or limit <= 3 else text[: limit - 3].rstrip() + "..."


def _format_options(command: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    records = []
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument) and not getattr(param, "help", None):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        own = getattr(param, "help", None)
        if own:
            text = text.replace(own, tr(own), 1)
        text = text.replace("Show this message and exit.", tr("Show this message and exit."))
        text = text.replace("[default: ", tr("[default: ")).replace("[required]", tr("[required]"))
        records.append((names, text))
    if records:
        with formatter.section(tr("Options")):
            formatter.write_dl(records)


def _set_language(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        set_language(value)
    return value


def _language_parameter() -> click.Option:
    return click.Option(
        ["--lang"], type=click.Choice(LANGUAGES), default=None, expose_value=False, is_eager=True,
        callback=_set_language,
        help="Language of messages, help and table headers: en or zh (default: from the locale, e.g. "
             "LANG=zh_CN.UTF-8).")


def localized(diagnostic: Diagnostic) -> Diagnostic:
    """A diagnostic in the user's language (its code and place unchanged)."""
    from dataclasses import replace

    if language() == "en":
        return diagnostic
    message = tr_message(diagnostic.message)
    if diagnostic.suggestion:
        message += f"（{tr('did you mean')} {diagnostic.suggestion!r}？）"
    return replace(diagnostic, message=message, severity=tr(diagnostic.severity), suggestion=None,
                   notes=tuple(tr_message(n) for n in diagnostic.notes),
                   related=tuple(replace(r, label=tr_message(r.label)) for r in diagnostic.related))
