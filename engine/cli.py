"""The ``dibao`` command: a thin layer over the library API.

Every command takes ``--policies DIR`` (else ``$DIBAO_POLICIES``, else the nearest
``policies/`` here or above, else the tree bundled with dibao) and ``--params FILE``
(local parameter values, repeatable); ``dibao --version`` names the package version and
the bundled tree's digest. Exit status: 0 done; 2 bad input or a policy that does not
load (one located line per problem on stderr); 1 anything else. No traceback reaches a user.

This module is the group and its entry point (``main``, the installed ``dibao`` script);
the commands live by family: ``cli_household`` (evaluate, explain, compare), ``cli_checks``
(check, schema, regions, test, consistency), ``cli_diff``, ``cli_batch``, ``cli_policy``
(params, doc) and ``engine.service.commands`` (serve, decisions, replay), over the options
they share in ``cli_options``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from engine.base.diagnostics import DiagnosticError
from engine.base.i18n import tr, tr_message
from engine.cli_batch import batch_command
from engine.cli_checks import check_command, consistency_command, regions_command, schema_command, test_command
from engine.cli_diff import diff_command
from engine.cli_household import compare_command, evaluate_command, explain_command
from engine.cli_options import print_diagnostics
from engine.cli_policy import doc_command, params_group
from engine.cli_support import LocalizedGroup


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from engine.base.resources import bundled_policies, package_version
    from engine.runtime.library import tree_digest

    bundled = bundled_policies()
    click.echo(f"dibao {package_version()}")
    click.echo(f"bundled policy tree {tree_digest(bundled)} ({bundled})")
    ctx.exit(0)


@click.group(cls=LocalizedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="The package version and the bundled policy tree's digest.")
def cli() -> None:
    """dibao: social-assistance rules as data (低保, taper, monitoring)."""


for _command in (evaluate_command, explain_command, compare_command, check_command, schema_command,
                 regions_command, test_command, consistency_command, diff_command, batch_command, params_group,
                 doc_command):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: click's own errors become one line and exit 2; anything unexpected exits 1."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="dibao", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("dibao: aborted", err=True)
        sys.exit(1)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "dibao"
        click.echo(f"{command}: {tr('error')}: {tr_message(error.format_message())} ({tr('see')} {command} --help)",
                   err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"dibao: {tr('error')}: {tr_message(error.format_message())}", err=True)
        sys.exit(2)
    except DiagnosticError as error:
        print_diagnostics(error.diagnostics)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as error:  # the last line of defence: no traceback for users
        click.echo(f"dibao: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(1)


def _add_service_commands() -> None:
    """serve, decisions and replay live with the service (their dependencies are the serve extra)."""
    from engine.service.commands import decisions_group, replay_command, serve_command

    for command in (serve_command, decisions_group, replay_command):
        cli.add_command(command)


if __name__ == "__main__":  # python -m engine.cli: run the module under its own name, where all commands are
    from engine.cli import main as installed_main

    installed_main()
elif __name__ == "engine.cli":  # not when a process pool re-imports the main module as __mp_main__
    _add_service_commands()
