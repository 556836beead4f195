"""`hooksim profiles [NAME|FILE]`: the platform profiles, or one of them in full (its rules, the
schedule they give, their sources and what is not simulated).

Exit statuses: 0 shown, 2 an unknown profile or an invalid profile file.
"""

from __future__ import annotations

import click

__all__ = ["profiles"]


def _duration(seconds: float) -> str:
    from hooksim.scenarios import format_duration

    return format_duration(seconds)


@click.command("profiles")
@click.argument("name", required=False, metavar="[NAME|FILE]")
def profiles(name: str | None) -> None:
    """List the bundled platform profiles, or show one (or a profile file) in full."""
    from hooksim.scenarios import ScenarioInputError, load_profile, profile_names
    from hooksim.simulator import profile_schedule

    if name is None:
        for bundled in profile_names():
            profile = load_profile(bundled)
            click.echo(f"{bundled:<18} {profile.title}")
        click.echo("\nhooksim profiles NAME shows one in full; hooksim run --profile NAME uses it.")
        return
    try:
        profile = load_profile(name)
    except ScenarioInputError as exc:
        click.echo(exc.message, err=True)
        raise SystemExit(2) from None
    settings = profile.default_settings()
    schedule = profile_schedule(profile, settings)
    click.echo(f"{profile.name}: {profile.title}")
    if profile.description:
        click.echo(f"\n{profile.description}\n")
    rows = [
        ("signing", profile.signing),
        ("envelope", profile.envelope),
        ("timeout", _duration(settings.timeout)),
        ("attempts", f"{len(schedule)}, at " + ", ".join(_duration(t) for t in schedule)),
        ("delays count from", profile.delays_from),
        ("jitter", f"{settings.jitter:g}"),
        ("Retry-After on", ", ".join(map(str, settings.retry_after_statuses)) or "none"),
        ("disabling", profile.disable),
    ]
    if profile.disable == "consecutive":
        rows.append(("disabled after", f"{settings.disable_threshold} consecutive failures"))
    if profile.disable_after is not None:
        rows.append(("disabled after", f"{_duration(profile.disable_after)} of failure"))
    if profile.disable_statuses:
        rows.append(("disabling statuses", ", ".join(map(str, profile.disable_statuses))))
    if profile.abort_header:
        rows.append(("abort header", ": ".join(profile.abort_header)))
    if profile.tolerance is not None:
        sides = "both directions" if profile.tolerance_future else "the past only"
        rows.append(("timestamp tolerance", f"{profile.tolerance:g} s, {sides}"))
    for label, value in rows:
        click.echo(f"  {label:<20} {value}")
    click.echo("\nSources:")
    for rule, source in profile.sources.items():
        click.echo(f"  {rule}: {source}")
    click.echo("\nNot simulated:")
    for item in profile.not_simulated or ():
        click.echo(f"  - {item.rule}: {item.why}")
    if not profile.not_simulated:
        click.echo("  (nothing)")
