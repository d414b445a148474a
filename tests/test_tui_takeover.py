"""Take over: a person takes the customer's (or, in watch, the agent's) seat, types, hands back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from textual.pilot import Pilot

from channels.demo_bot import DemoBotServer
from convsim_core.models import Conversation, Message, ParticipantRole
from convsim_core.participant import Participant
from convsim_core.persistence import read_transcript
from convsim_core.scenario import builtin_scenario
from convsim_core.serialization import from_json, to_json
from convsim_core.takeover import PERSON, SIMULATION, SeatedParticipant, Seats
from tests.support.timeouts import MS, TIMEOUT
from tui.app import ConvsimApp
from tui.pace import Pace
from tui.screens.run_screens import ConnectScreen, WatchScreen
from tui.sources.connect import ConnectRunSource
from tui.testing import scripted_source, snapshot_settings, wait_until
from tui.widgets.composer import Composer
from tui.widgets.live_run import LiveRun
from tui.wiring.bots import demo_bot_profile

CUSTOMER, AGENT = ParticipantRole.CUSTOMER, ParticipantRole.AGENT


def watch_app(path: Path, pace: Pace) -> ConvsimApp:
    settings = snapshot_settings(autostart=True)
    return ConvsimApp(
        lambda app: WatchScreen(
            scripted_source(transcript_path=path), seed=7, settings=settings, pace=pace
        ),
        settings=settings,
    )


def live(app: ConvsimApp) -> LiveRun:
    return app.screen.query_one(LiveRun)


def seat_composer(app: ConvsimApp) -> Composer:
    return app.screen.query_one("#seat-composer", Composer)


async def send(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)
    await pilot.press("ctrl+s")


# -- the seats, without a UI ---------------------------------------------------------------------


class Echo(Participant):
    def __init__(self, role: ParticipantRole) -> None:
        self.role = role

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        return self.message("simulated")


async def test_a_seat_answers_with_the_simulation_until_a_person_holds_it() -> None:
    seats = Seats()
    seated = SeatedParticipant(Echo(CUSTOMER), seats)
    empty = Conversation(())
    first = await seated.get_next_message(empty)
    assert first is not None and first.author == SIMULATION
    seats.take(CUSTOMER)
    waiting = asyncio.create_task(seated.get_next_message(empty))
    await asyncio.sleep(10 * MS)
    assert not waiting.done()  # the person has not typed yet
    seats.type(CUSTOMER, "typed by me")
    reply = await asyncio.wait_for(waiting, 1000 * MS)
    assert reply is not None and reply.content == "typed by me" and reply.author == PERSON


async def test_a_cancelled_turn_keeps_what_the_person_typed_and_hand_back_resumes() -> None:
    seats = Seats()
    seated = SeatedParticipant(Echo(CUSTOMER), seats)
    seats.take(CUSTOMER)
    turn = asyncio.create_task(seated.get_next_message(Conversation(())))
    await asyncio.sleep(10 * MS)
    turn.cancel()
    seats.type(CUSTOMER, "kept")
    assert seats.pending(CUSTOMER) == 1
    again = await seated.get_next_message(Conversation(()))
    assert again is not None and again.content == "kept"
    waiting = asyncio.create_task(seated.get_next_message(Conversation(())))
    await asyncio.sleep(10 * MS)
    assert seats.hand_back(CUSTOMER) == []
    back = await asyncio.wait_for(waiting, 1000 * MS)
    assert back is not None and back.author == SIMULATION


def test_the_author_field_is_optional_in_the_json_form() -> None:
    at = datetime(2025, 3, 4, tzinfo=UTC)
    plain = Message("hi", at, CUSTOMER)
    assert "author" not in to_json(plain)  # every older form stays byte for byte the same
    old = {"content": "hi", "timestamp": at.isoformat(), "sender": "customer"}
    assert from_json({"schema_version": 1, "type": "message", **old}, Message) == plain
    typed = attrs.evolve(plain, author=PERSON)
    assert from_json(to_json(typed), Message) == typed


# -- watch ----------------------------------------------------------------------------------------


async def test_take_the_customers_seat_type_and_hand_back_in_watch(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    app = watch_app(path, Pace(speed=1000.0, max_wait=10 * MS, start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        assert not seat_composer(app).display
        await pilot.press("n")
        await wait_until(pilot, lambda: run.transcript.message_count == 2)
        await pilot.press("t")
        await wait_until(pilot, lambda: seat_composer(app).display)
        assert run.held_seats == {CUSTOMER}
        assert run.status == "running"  # a person in the chat makes it live
        assert app.focused is seat_composer(app).text_area
        assert "You are the customer" in str(seat_composer(app).text_area.border_title)
        await wait_until(pilot, lambda: "Your turn" in str(run.typing.render()))
        await send(pilot, "It's me, typing for Dana.")
        await wait_until(pilot, lambda: run.transcript.message_count >= 4)
        shown = [m for _, m in run.transcript.messages_shown()]
        assert shown[2].content == "It's me, typing for Dana." and shown[2].author == PERSON
        assert shown[3].sender is AGENT and shown[3].author == SIMULATION
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: not seat_composer(app).display)
        assert run.held_seats == frozenset()
        await wait_until(pilot, lambda: run.status == "done")
    saved = read_transcript(path)
    authors = [m.author for m in saved.messages]
    assert authors[2] == PERSON
    assert all(author == SIMULATION for author in authors[3:])
    assert saved.result is not None and saved.result.conversation.messages[2].author == PERSON


async def test_take_the_agents_seat_in_watch(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    app = watch_app(path, Pace(speed=1000.0, max_wait=10 * MS, start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        await pilot.press("a")
        await wait_until(pilot, lambda: seat_composer(app).display)
        assert run.held_seats == {AGENT}
        await send(pilot, "Hello, I am a person at the agent's desk.")
        await wait_until(pilot, lambda: run.transcript.message_count >= 3)
        shown = [m for _, m in run.transcript.messages_shown()]
        assert shown[1].sender is AGENT and shown[1].author == PERSON
        assert shown[2].sender is CUSTOMER and shown[2].author == SIMULATION
        await pilot.press("x")  # keys type into the composer while seated: x is text
        assert run.is_active
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: not seat_composer(app).display)
        await wait_until(pilot, lambda: run.status == "done")
    saved = read_transcript(path)
    assert saved.messages[1].author == PERSON


async def test_help_and_palette_list_take_over(tmp_path: Path) -> None:
    from tui.screens.help import HelpScreen

    app = watch_app(tmp_path / "r.jsonl", Pace(start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Take the customer's seat" in titles and "Take the agent's seat" in titles
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-keys").render())
        assert "Take the customer's seat" in text and "Take the agent's seat" in text


# -- connect --------------------------------------------------------------------------------------


def connect_app(tmp_path: Path, bot: DemoBotServer) -> ConvsimApp:
    """Connect to ``bot`` with the demo scenario's customer answering at once."""
    scenario = builtin_scenario("demo")
    termination = attrs.evolve(scenario.termination, typing_delay=False, settle_seconds=50 * MS)
    scenario = attrs.evolve(scenario, termination=termination)
    source = ConnectRunSource(scenario, demo_bot_profile(bot.url), runs_root=tmp_path)
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    return ConvsimApp(
        lambda app: ConnectScreen(source, seed=7, settings=settings),
        settings=settings,
    )


async def test_take_the_customers_seat_in_connect(tmp_path: Path) -> None:
    async with DemoBotServer() as bot:
        app = connect_app(tmp_path, bot)
        async with app.run_test(size=(100, 30)) as pilot:
            run = live(app)
            await wait_until(pilot, lambda: run.status == "running", within=TIMEOUT * 3)
            await pilot.press("t")
            await wait_until(pilot, lambda: seat_composer(app).display)
            assert run.held_seats == {CUSTOMER}
            await send(pilot, "I would like to speak to a supervisor please.")

            def person_answered() -> bool:
                shown = [m for _, m in run.transcript.messages_shown()]
                spoke = [i for i, m in enumerate(shown) if m.author == PERSON]
                return bool(spoke) and any(m.sender is AGENT for m in shown[spoke[0] + 1 :])

            await wait_until(pilot, person_answered, within=TIMEOUT * 4)
            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: not seat_composer(app).display)
            await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
            path = run.transcript_path
    assert path is not None
    saved = read_transcript(path)
    people = [m for m in saved.messages if m.author == PERSON]
    assert [m.content for m in people] == ["I would like to speak to a supervisor please."]
    assert all(m.sender is CUSTOMER for m in people)
    assert all(m.author is None for m in saved.messages if m.sender is AGENT)  # the bot


# -- what a person in a seat is told ---------------------------------------------------------------


def brief_shown(app: ConvsimApp, side: str) -> str | None:
    """The text of ``side``'s brief when it is on screen, else None."""
    from tui.widgets.agent_brief import AgentBrief
    from tui.widgets.customer_brief import CustomerBrief

    kind = CustomerBrief if side == "customer" else AgentBrief
    found = app.screen.query(kind)
    if not found or not found.first().display:
        return None
    return str(found.first().render())


async def test_the_seat_holder_sees_their_sides_brief_until_hand_back(tmp_path: Path) -> None:
    # Issue 13 review: a person in the customer's seat was never told the order number or goal.
    app = watch_app(tmp_path / "run.jsonl", Pace(speed=1000.0, max_wait=10 * MS, start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        assert brief_shown(app, "customer") is None and brief_shown(app, "agent") is None
        await pilot.press("t")
        await wait_until(pilot, lambda: seat_composer(app).display)
        customer = brief_shown(app, "customer")
        assert customer is not None
        assert "Your goal Get the duplicate March payment refunded." in customer
        assert "Who you are Dana, a calm small-business owner" in customer
        assert "email dana@example.com" in customer and "invoice INV-20931" in customer
        assert brief_shown(app, "agent") is None  # the agent's facts are not the customer's
        brief = app.screen.query_one("#customer-brief")
        assert brief.region.height > 0 and brief.border_title == "You are the customer"
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: not seat_composer(app).display)
        assert brief_shown(app, "customer") is None
    # The agent's seat (watch only), in a run of its own: the first one goes on without a person.
    app = watch_app(
        tmp_path / "agent.jsonl", Pace(speed=1000.0, max_wait=10 * MS, start_paused=True)
    )
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        await pilot.press("a")
        await wait_until(pilot, lambda: seat_composer(app).display)
        agent = brief_shown(app, "agent")
        assert agent is not None and "amount $24.00" in agent and "The judge listens for" in agent
        assert brief_shown(app, "customer") is None
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: brief_shown(app, "agent") is None)


async def test_the_customers_brief_in_connect_has_the_scenarios_facts(tmp_path: Path) -> None:
    async with DemoBotServer(reply_delay=200 * MS) as bot:
        app = connect_app(tmp_path, bot)
        async with app.run_test(size=(100, 30)) as pilot:
            run = live(app)
            await wait_until(pilot, lambda: run.status == "running", within=TIMEOUT * 3)
            assert brief_shown(app, "customer") is None
            assert not app.screen.query("#agent-brief")  # the bot is the agent: no seat there
            await pilot.press("t")
            await wait_until(pilot, lambda: seat_composer(app).display)
            shown = brief_shown(app, "customer")
            assert shown is not None
            assert "invoice_number INV-20931" in shown and "dana.whitfield@example.com" in shown
            assert "Get the duplicate March subscription payment refunded." in shown
            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: brief_shown(app, "customer") is None)


def test_the_agents_brief_promises_an_outcome_question_only_in_play() -> None:
    from tui.testing import scripted_info
    from tui.widgets.agent_brief import brief_content

    info = attrs.evolve(scripted_info(), judge_cues=(), judge_kind="none")
    assert "you pick the outcome" in brief_content(info, playing=True).plain
    watch = brief_content(info, playing=False).plain
    assert "you pick" not in watch and "no outcome is decided" in watch
