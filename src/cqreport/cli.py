"""The ``cqreport`` command. Each subcommand parses its options, then makes one library call."""

from __future__ import annotations

import sys

import click

from .errors import CqreportError

DATA_OPTION = click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
                           help="Data folder (default: ./data of the checkout, or $CQREPORT_DATA).")
SOURCES_OPTION = click.option("--sources", "sources_dir", type=click.Path(file_okay=False), default=None,
                              help="Source texts for the quote and hash checks "
                                   "(default: ../shared/sources, or $CQREPORT_SOURCES).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cqreport")
def cli() -> None:
    """Chongqing quarterly finance report: validate the data, list quarters, build reports."""


@cli.command()
@click.argument("data_dir", required=False, type=click.Path(file_okay=False))
@SOURCES_OPTION
def validate(data_dir: str | None, sources_dir: str | None) -> int:
    """Check the curated data in DATA_DIR (default: data/). Exit 1 and list every problem if any."""
    from .validate import check_data, summarize

    result = check_data(data_dir, sources_dir)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(summarize(result))
    return 0 if result.ok else 1


@cli.command()
@DATA_OPTION
@SOURCES_OPTION
def quarters(data_dir: str | None, sources_dir: str | None) -> None:
    """List the quarters that have data, and what each has."""
    from .dataset import load_dataset
    from .select import describe_quarters

    click.echo(describe_quarters(load_dataset(data_dir, sources_dir)))


def main() -> None:
    """Console entry point: turns cqreport errors into a message and exit code 1."""
    try:
        rv = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CqreportError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    # a command returns its exit code (or None for success)
    sys.exit(rv if isinstance(rv, int) else 0)
