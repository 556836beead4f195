"""The pytest plugin under a platform profile: `--hooksim-profile NAME`, the
`hooksim_profile` fixture and marker, and scenario files that name no profile."""

from __future__ import annotations


def test_the_option_makes_every_platform_deliver_as_that_sender(pytester):
    pytester.makepyfile(
        """
        from hooksim.testing import assert_attempt_times

        def test_svix_schedule(hooksim_platform, hooksim_receiver, hooksim_profile):
            assert hooksim_profile.name == "svix"
            assert hooksim_platform.settings.timeout == 15
            receiver = hooksim_receiver(status=[500, 500, 200])
            sub = receiver.subscribe(["card-published"])
            assert sub.secret.startswith("whsec_")
            event = hooksim_platform.publish("card-published")
            hooksim_platform.advance("2h")
            times = [round(r.started_at - hooksim_platform.start) for r in
                     hooksim_platform.attempts(event=event)]
            assert times[0] == 0 and 4 <= times[1] <= 6 and 240 + 4 <= times[2] <= 360 + 6
            assert [r.signature_valid for r in receiver.requests] == [True, True, True]
            assert "svix-signature" in {k.lower() for k in receiver.requests[0].headers}
            assert receiver.processed_ids == [event.id]
        """
    )
    pytester.runpytest_inprocess("--hooksim-profile", "svix").assert_outcomes(passed=1)


def test_the_marker_picks_a_profile_for_one_test(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hooksim_profile("github")
        def test_github_never_retries(hooksim_platform, hooksim_receiver):
            receiver = hooksim_receiver(status=500)
            receiver.subscribe(["card-published"])
            event = hooksim_platform.publish("card-published")
            hooksim_platform.advance("1d")
            assert len(hooksim_platform.attempts(event=event)) == 1
            assert receiver.requests[0].headers["X-Github-Event"] == "card-published"
            assert receiver.requests[0].signature_valid is True

        def test_atomic_by_default(hooksim_platform, hooksim_receiver):
            receiver = hooksim_receiver(status=500)
            receiver.subscribe(["card-published"])
            event = hooksim_platform.publish("card-published")
            hooksim_platform.advance("2m")
            assert len(hooksim_platform.attempts(event=event)) == 4  # 0, 10, 30, 70 s
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)


def test_scenario_files_naming_no_profile_take_the_options(pytester):
    pytester.makefile(
        ".yaml",
        scenario_github="""
            name: no retries under github
            receivers:
              down: {behaviour: 503}
            subscriptions:
              main: {receiver: down, types: [card-completed]}
            steps:
              - publish: {type: card-completed, as: e}
              - advance: 1h
            expect:
              - attempts: {event: e, at: [0]}
            """,
    )
    pytester.runpytest_inprocess("--hooksim-profile", "github").assert_outcomes(passed=1)
    pytester.runpytest_inprocess().assert_outcomes(failed=1)  # Atomic retries it


def test_an_unknown_profile_is_a_usage_error(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_inprocess("--hooksim-profile", "svx")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--hooksim-profile: unknown profile 'svx' (did you mean 'svix'?)*"]
    )
