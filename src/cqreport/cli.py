"""The ``cqreport`` command. Each subcommand parses its options, then makes one library call."""

from __future__ import annotations

import sys

import click

from .core.vocab import REPORT_LANGS
from .errors import CqreportError, ParameterError


def parse_lang(value: str) -> str:
    """A report language from the command line (zh, en; case and common aliases accepted)."""
    from .report.params import parse_lang as parse

    return parse(value)



@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cqreport")
def cli() -> None:
    """Chongqing quarterly finance report: validate the data, list quarters, build reports."""


def _existing_dir(what: str):
    """A click callback: a folder given on the command line must exist (one-line error otherwise)."""
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from pathlib import Path

        if value is not None and not Path(value).is_dir():
            raise ParameterError(f"{param.opts[0]} {value}: no such folder; expected {what}")
        return value
    return check


DATA_OPTION = click.option("--data", "data_dir", default=None, callback=_existing_dir(
    "the curated data folder (holding datapackage.json)"),
    help="Data folder (default: ./data of the checkout, or $CQREPORT_DATA).")
SOURCES_OPTION = click.option("--sources", "sources_dir", default=None, callback=_existing_dir(
    "the folder of source texts"),
    help="Source texts for the quote and hash checks (default: ../shared/sources, or $CQREPORT_SOURCES).")
NOTEBOOK_OPTION = click.option("--notebook", type=click.Path(dir_okay=False, exists=True), default=None,
                               help="Report notebook (default: notebooks/quarterly_report.ipynb).")
KERNEL_OPTION = click.option("--kernel", default="cqreport", show_default=True,
                             help="Jupyter kernel to run the notebook with.")
LANG_CHOICE = f"{'|'.join(REPORT_LANGS)}"


@cli.command()
@DATA_OPTION
@SOURCES_OPTION
def validate(data_dir: str | None, sources_dir: str | None) -> int:
    """Check the curated data (default: data/). Exit 1 and list every problem if any.

    Data that passes leaves a sealed stamp, so the next command does not check it again."""
    from .dataset.validate import summarize, validate_data

    result = validate_data(data_dir, sources_dir)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(summarize(result))
    if result.checks:
        click.echo("checks: " + ", ".join(f"{k} {'done' if v else 'NOT done'}"
                                          for k, v in result.checks.items()))
    return 0 if result.ok else 1


@cli.command()
@click.option("--quarter", "-q", default=None, metavar="YYYYQn",
              help="List the figures of this quarter instead of the overview.")
@click.option("--topic", "-t", default=None, help="With --quarter: only this topic's figures.")
@DATA_OPTION
@SOURCES_OPTION
def quarters(quarter: str | None, topic: str | None, data_dir: str | None, sources_dir: str | None) -> None:
    """List the quarters that have data and what each has, or one quarter's figures."""
    from .analysis.quarter import describe_quarter, describe_quarters
    from .dataset.model import load_dataset

    if topic is not None and quarter is None:
        raise click.UsageError("--topic goes with --quarter")
    ds = load_dataset(data_dir, sources_dir)
    click.echo(describe_quarters(ds) if quarter is None else describe_quarter(ds, quarter, topic))


@cli.command()
@click.argument("metric_id")
@click.option("--entity", "-e", "entity_id", default="chongqing", show_default=True,
              help="Entity id (data/entities.csv), e.g. china for the national series.")
@click.option("--lang", "-l", default="zh", show_default=True, metavar=LANG_CHOICE,
              help="Language of the period labels.")
@DATA_OPTION
@SOURCES_OPTION
def series(metric_id: str, entity_id: str, lang: str, data_dir: str | None, sources_dir: str | None) -> None:
    """Print one series, oldest first: period, value as reported, source (variants marked)."""
    from .analysis.quarter import describe_series
    from .dataset.model import load_dataset

    click.echo(describe_series(load_dataset(data_dir, sources_dir), metric_id, entity_id, parse_lang(lang)))


@cli.command()
@click.argument("earlier", metavar="A")
@click.argument("later", metavar="B")
@DATA_OPTION
@SOURCES_OPTION
def diff(earlier: str, later: str, data_dir: str | None, sources_dir: str | None) -> None:
    """What changed between two editions: quarters (each report at its cut-off) or YYYY-MM-DD dates.

    + new, ~ revised (with the reason), − no longer used; e.g. cqreport diff 2025Q4 2026Q1."""
    from .analysis.changes import describe_changes
    from .dataset.model import load_dataset

    click.echo(describe_changes(load_dataset(data_dir, sources_dir), earlier, later))


@cli.command()
@click.option("--quarter", "-q", "quarters", multiple=True, metavar="YYYYQn",
              help="Quarter to build (repeatable). Default: the latest quarter with data.")
@click.option("--all", "all_quarters", is_flag=True, help="Build every quarter that has data.")
@click.option("--lang", "-l", default="zh", show_default=True, metavar="zh|en|all",
              help="Report language: zh, en, all, or a comma list.")
@click.option("--format", "-f", "formats", default="html,pdf", show_default=True,
              metavar="html,pdf", help="Output formats (the executed notebook is always kept).")
@click.option("--force", is_flag=True, help="Rebuild even if the inputs are unchanged.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Reports built at once, in worker processes [default: one per core].")
@click.option("--param", "-p", "extra", multiple=True, metavar="NAME=VALUE",
              help="Another notebook parameter, passed as a string (see `cqreport params`).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="Rebuild from the sources published by this date "
              "(default: the quarter's own cut-off).")
@DATA_OPTION
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: ./reports, or $CQREPORT_REPORTS).")
@NOTEBOOK_OPTION
@KERNEL_OPTION
@click.option("--timeout", type=click.IntRange(min=1), default=300, show_default=True,
              help="Seconds a notebook cell may run.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--no-source-check", is_flag=True,
              help="Build without the source texts: quotes are not checked against them "
                   "(the manifest and the report's appendix say so).")
def build(quarters, all_quarters, lang, formats, force, jobs, extra, as_of, data_dir, reports_dir,
          notebook, kernel, timeout, no_progress, no_source_check) -> int:
    """Build the quarterly report as HTML and PDF under reports/<quarter>/<lang>/."""
    from .engine.pipeline import build as build_reports
    from .report.params import parse_assignments

    summary = build_reports(list(quarters) or None, all_quarters=all_quarters, lang=lang,
                            formats=formats, force=force, jobs=jobs, notebook=notebook,
                            data_dir=data_dir, reports_dir=reports_dir, kernel=kernel,
                            timeout=timeout,
                            extra={**parse_assignments(extra),
                                   **({"as_of": as_of.date().isoformat()} if as_of else {})},
                            progress=not no_progress, source_check=not no_source_check)
    click.echo(f"cqreport build: {summary.line()}")
    # Everything loaded stays alive until exit anyway: freezing it spares the
    # interpreter a last collection over it (most of a second at exit).
    import atexit
    import gc

    atexit.register(gc.freeze)
    return 0 if summary.ok else 1


@cli.command()
@click.option("--quarter", "-q", default=None, metavar="YYYYQn",
              help="Quarter to preview. Default: the latest quarter with data.")
@click.option("--lang", "-l", default="zh", show_default=True, metavar=LANG_CHOICE,
              help="Report language.")
@DATA_OPTION
@SOURCES_OPTION
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), default=None,
              help="Reports folder; the preview writes only to its .preview/ subfolder.")
@NOTEBOOK_OPTION
@KERNEL_OPTION
def preview(quarter, lang, data_dir, sources_dir, port, no_browser, reports_dir, notebook,
            kernel) -> None:
    """Serve one report on 127.0.0.1 and rebuild it on every saved change (Ctrl-C to stop)."""
    from .engine.preview import serve

    serve(quarter, parse_lang(lang), port=port, open_browser=not no_browser, data_dir=data_dir,
          sources_dir=sources_dir, notebook=notebook, reports_dir=reports_dir, kernel=kernel)


@cli.command()
@click.option("--notebook", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Notebook to read (default: notebooks/quarterly_report.ipynb).")
def params(notebook: str | None) -> None:
    """List the report notebook's parameters with their defaults."""
    from .engine.pipeline import describe_parameters

    for p in describe_parameters(notebook):
        click.echo(f"{p['name']:<10} = {p['default']:<8}  {p['help']}".rstrip())


@cli.command()
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--source-id", default=None, help="The release's id in sources.csv "
              "(default: found by file name or sha256).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the candidate rows to this CSV (set status to 'accepted' to keep one).")
@click.option("--date", "release_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Release date YYYY-MM-DD that 今年/去年/3月末 are read against "
                   "(default: sources.csv, then the release's date: line).")
@click.option("--encoding", default=None, help="Force the release's encoding (utf-8, gb18030, big5).")
@click.option("--lang", default=None, metavar=LANG_CHOICE, help="Force the language instead of guessing it.")
@click.option("--append", "append", is_flag=True,
              help="PATH is a reviewed candidates CSV: append its accepted rows to the data.")
@click.option("--score", "gold", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Score against a gold CSV; PATH is the folder of the texts it lists.")
@click.option("--details", is_flag=True, help="With --score: list every miss and mismatch.")
@click.option("--force", is_flag=True, help="Let --out replace an existing file that is not an "
              "unreviewed candidates file (never a data or source file, or the release).")
@DATA_OPTION
@SOURCES_OPTION
def extract(path, source_id, out, release_date, encoding, lang, append, gold, details, force,
            data_dir, sources_dir) -> int:
    """Find the figures of a release and write them as candidate rows for review.

    \b
    cqreport extract RELEASE.txt [--source-id ID] [--date YYYY-MM-DD] [--out candidates.csv]
    cqreport extract candidates.csv --append          (after setting status to accepted)
    cqreport extract --score GOLD.csv TEXT_DIR
    """
    from pathlib import Path

    from .errors import ExtractError
    from .extract import append_candidates, extract_file, score_gold
    from .extract.review import looks_like_candidates, write_review

    if path is None:
        raise click.UsageError("give a release file, a candidates file with --append, "
                               "or a text folder with --score GOLD.csv")
    if append and gold:
        raise click.UsageError("--append and --score do not go together")
    if gold:
        report = score_gold(gold, path, data_dir)
        click.echo(report.table())
        if details:
            click.echo(report.details())
        return 0
    if append:
        click.echo(append_candidates(path, data_dir, sources_dir).summary())
        return 0
    if looks_like_candidates(path):
        raise ExtractError(f"{path} is a candidates file, not a release; to add its accepted rows "
                           f"to the data run: cqreport extract {path} --append")
    result = extract_file(path, source_id=source_id,
                          release_date=release_date.date() if release_date else None,
                          out=out, data_dir=data_dir, encoding=encoding,
                          lang=parse_lang(lang) if lang else None, sources_dir=sources_dir,
                          force=force)
    click.echo(result.review_table())
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if out:
        page = write_review(out, path, data_dir, encoding=encoding, lang=lang, sources_dir=sources_dir)
        stem = Path(out).with_suffix("")
        click.echo(f"wrote {len(result.candidates)} candidate(s) to {out} and the review page {page}; "
                   "open the page, accept, edit or reject each candidate, download the reviewed CSV "
                   f"and run: cqreport extract {stem}.reviewed.csv --append", err=True)
    return 0


@cli.command()
@click.argument("candidates", type=click.Path(exists=True, dir_okay=False))
@click.argument("release", type=click.Path(exists=True, dir_okay=False))
@click.option("--port", type=int, default=0, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@DATA_OPTION
@SOURCES_OPTION
def review(candidates, release, port, no_browser, data_dir, sources_dir) -> int:
    """Serve the review page of CANDIDATES (from RELEASE), checking it live as --append would.

    \b
    cqreport review candidates.csv RELEASE.txt [--port N] [--no-browser]
    """
    from .extract.serve import serve_review

    def started(server) -> None:
        click.echo(f"reviewing {candidates} at {server.url} (Ctrl-C stops it); download the "
                   f"reviewed CSV, then run: cqreport extract {server.reviewed.name} --append", err=True)

    try:
        serve_review(candidates, release, data_dir, sources_dir, port, not no_browser, started)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    return 0


def main() -> None:
    """Console entry point: turns cqreport errors into a message and exit code 1."""
    try:
        rv = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        # one line, like every other error: what was wrong, and where to look
        cmd = f" {exc.ctx.info_name}" if exc.ctx and exc.ctx.parent else ""
        click.echo(f"error: {exc.format_message()} (see: cqreport{cmd} --help)", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except CqreportError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(130 if type(exc).__name__ == "BuildInterrupted" else 1)
    except OSError as exc:
        # a full disk or a read-only folder the checks above did not foresee: one line
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    # a command returns its exit code (or None for success)
    sys.exit(rv if isinstance(rv, int) else 0)
