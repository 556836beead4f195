"""`hooksim check-receiver`: grade a running webhook receiver over real HTTP.

Exit statuses: 0 every check passed, 1 a check failed, 2 bad input, an unreachable receiver or
an effects probe that cannot be used.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["check_receiver"]


class _BadInput(click.ClickException):
    exit_code = 2

    def format_message(self) -> str:
        return self.message


def _parse_headers(values: tuple[str, ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME:VALUE, got {value!r}", param_hint="--header")
        headers[name.strip()] = rest.strip()
    return headers


def _check_output_paths(report: Path | None, json_file: Path | None) -> None:
    """Fail before sending anything when the outputs cannot be written."""
    if json_file is not None:
        if json_file.is_dir():
            raise _BadInput(f"--json {json_file}: is a directory")
        if not json_file.parent.is_dir():
            raise _BadInput(f"--json {json_file}: folder {json_file.parent} does not exist")
    if report is not None and report.exists() and not report.is_dir():
        raise _BadInput(f"--report {report}: exists and is not a directory")


@click.command("check-receiver")
@click.argument("url")
@click.option(
    "--secret",
    required=True,
    envvar="HOOKSIM_RECEIVER_SECRET",
    help="The subscription secret the receiver verifies with (or $HOOKSIM_RECEIVER_SECRET).",
)
@click.option(
    "--method",
    type=click.Choice(["POST", "PUT"], case_sensitive=False),
    default="POST",
    show_default=True,
    help="The subscription's request method.",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="NAME:VALUE",
    help="A custom subscription header sent with every delivery (repeatable).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds the receiver has to answer each delivery  [default: the sender's, 10 s for "
    "Atomic, 15 s for standard-webhooks and svix].",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write an HTML report to DIR/index.html.",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the results as JSON to FILE.",
)
@click.option(
    "--signature-header",
    default="X-Atomic-Signature",
    show_default=True,
    help="The signature header, if the platform is configured with another.",
)
@click.option(
    "--effects-url",
    metavar="URL",
    help=(
        "The receiver's effects probe: a GET answering "
        '{"effects": {"<data.id>": <times acted on>}}. Enables idempotent-effects and '
        "no-effects-when-rejected."
    ),
)
@click.option(
    "--profile",
    metavar="NAME|FILE",
    help="Grade a receiver of another sender: standard-webhooks, svix, stripe, github (or a "
    "profile file). Deliveries are signed as that sender's, and its scheme's checks run too "
    "(timestamp tolerance both ways, signature lists, secret rotation, replays).",
)
@click.option(
    "--batched",
    is_flag=True,
    help="The subscription batches events: also check that a signed batch gets a 2xx.",
)
def check_receiver(
    url: str,
    secret: str,
    method: str,
    headers: tuple[str, ...],
    timeout: float | None,
    report: Path | None,
    json_file: Path | None,
    signature_header: str,
    effects_url: str | None,
    batched: bool,
    profile: str | None,
) -> None:
    """Send signed deliveries to the receiver at URL and grade how it answers.

    Every delivery is signed as the platform signs it (HMAC-SHA256 of the raw body, lowercase
    hex), or as the --profile's sender signs. Redirects are never followed. The secret is
    never printed or written. With --effects-url the probe is read before the first delivery
    (exit 2 if it cannot be used) and after the last.
    """
    from hooksim._kit import EffectsProbeError, ReceiverUnreachable
    from hooksim._kit import check_receiver as run_checks
    from hooksim._kit._output import print_result, write_json
    from hooksim._kit._report import write_report
    from hooksim.simulator import InvalidInput

    custom = _parse_headers(headers)
    _check_output_paths(report, json_file)
    try:
        result = run_checks(
            url,
            secret=secret,
            method=method.upper(),
            headers=custom,
            timeout=timeout,
            signature_header=signature_header,
            batched=batched,
            effects_url=effects_url,
            profile=profile,
        )
    except (ReceiverUnreachable, EffectsProbeError) as exc:
        raise _BadInput(exc.message) from None
    except InvalidInput as exc:
        raise _BadInput(exc.message) from None
    print_result(result)
    try:
        if json_file is not None:
            click.echo(f"JSON results: {write_json(result, json_file)}")
        if report is not None:
            click.echo(f"HTML report: {write_report(result, report)}")
    except OSError as exc:
        raise _BadInput(f"cannot write results: {exc}") from None
    click.get_current_context().exit(0 if result.passed else 1)
