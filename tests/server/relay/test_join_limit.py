"""Guessing codes: the join limit, in process on both engines (the Redis engine's limiter is
shared by every process).
"""

from support.wire import NO_SESSION, agent, join, quiet, start, visitor


def test_the_sixth_failed_join_in_a_minute_is_refused_with_the_wait(run_relay):
    guesser = "127.200.0.1"

    async def steps(server):
        async with visitor(server) as customer:
            started = await start(customer, SID="case-9")
            code = started["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            async with agent(server, address=guesser) as eve:
                for attempt in range(5):
                    await eve.send("join", code=wrong if attempt % 2 else "no-such-sid", name="Eve")
                    assert (await eve.expect_error("no_session"))["message"] == NO_SESSION
                await eve.send("join", code=wrong, name="Eve")
                error = await eve.expect_error("rate_limited")
                assert 55 <= error["retryAfter"] <= 60
                assert error["message"] == "Too many attempts, wait %d s" % error["retryAfter"]
                # While limited, the right code and the right SID are refused as well.
                for right in (code, "case-9"):
                    await eve.send("join", code=right, name="Eve")
                    await eve.expect_error("rate_limited")
            # The limit is per client, not per connection.
            async with agent(server, address=guesser) as again:
                await again.send("join", code=code, name="Eve")
                await again.expect_error("rate_limited")
            # Another address is not limited, and the visitor heard of no attempt but this one.
            async with agent(server, address="127.200.0.2") as alice:
                await alice.send("join", code=wrong, name="Alice")
                await alice.expect_error("no_session")
                joined = await join(alice, code)
                assert (await customer.expect("agent_joined"))["id"] == joined["id"]
                await quiet(customer)

    run_relay(steps)


def test_successful_joins_and_blank_names_do_not_count_toward_the_limit(run_relay):
    address = "127.200.1.1"

    async def steps(server):
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            for _ in range(6):
                async with agent(server, address=address) as alice:
                    await alice.send("join", code=code, name=" ")
                    await alice.expect_error("bad_name")
                    await join(alice, code)
                    await alice.send("leave")
            async with agent(server, address=address) as alice:
                for _ in range(5):
                    await alice.send("join", code=wrong, name="Alice")
                    await alice.expect_error("no_session")
                await alice.send("join", code=wrong, name="Alice")
                await alice.expect_error("rate_limited")

    run_relay(steps)

