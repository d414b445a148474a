"""Turning a parsed scenario TOML document into a :class:`Scenario`, section by section.

Each section is read with a :class:`TableReader`, so every error names the file and the dotted
key (``outcomes[2].name``), and keys nobody read are rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from convsim_core import scenario_models
from convsim_core.chats.retrieval import DEFAULT_EMBEDDING_MODEL, METHODS
from convsim_core.chats.spec import RagSpec
from convsim_core.expectations import read_expectations
from convsim_core.llm.settings import LLMSettings
from convsim_core.models import Intent, MessageDraft, Outcome, Outcomes, ParticipantRole
from convsim_core.offline.config import read_agent_rules, read_customer_rules
from convsim_core.regexsafe import check_pattern
from convsim_core.scenario_models import (
    JudgeSpec,
    OutcomeKeywords,
    ParticipantSpec,
    Scenario,
    TerminationSpec,
)
from convsim_core.scenario_reader import ScenarioError, TableReader
from convsim_core.slugs import is_slug
from convsim_core.termination import DEFAULT_CLOSING_PHRASES

_ROLES = tuple(role.value for role in ParticipantRole)


def parse(data: Mapping[str, Any], *, source: str, path: Path | None) -> Scenario:
    if not isinstance(data, Mapping):
        raise ScenarioError(source, "", "expected a TOML table at the top level")
    root = TableReader(data, "", source)
    name = _name(root, path)
    title = root.string("title", non_empty=True)
    description = root.string("description", "")
    max_messages = root.integer("max_messages", 30, minimum=2)
    seed = root.integer("seed", 0)
    intents = tuple(_intent(reader) for reader in root.tables("intents"))
    initial_message = _initial_message(root)
    outcomes, keywords = _outcomes(root)
    customer_reader = root.table("customer")
    agent_reader = root.table("agent")
    customer = _participant(customer_reader, ParticipantRole.CUSTOMER, source, {}, path)
    agent = _participant(agent_reader, ParticipantRole.AGENT, source, customer.facts)
    judge = _judge(root.table("judge"), keywords, source)
    termination = _termination(root.table("termination"), outcomes)
    llm = _llm(root, source)
    if judge.llm is not None and judge.llm_table is not None:
        # [judge.llm] overrides [llm] key by key, so the judge can use its own model.
        overrides = {key: getattr(judge.llm, key) for key in judge.llm_table}
        judge = attrs.evolve(judge, llm=attrs.evolve(llm, **overrides))
    bot = root.raw_table("bot")
    expect = read_expectations(root.table("expect"), outcomes)
    weight = root.number("weight", 1.0, minimum=0.0)
    root.finish()
    return Scenario(
        name=name,
        title=title,
        description=description,
        path=path,
        intents=intents,
        customer=customer,
        agent=agent,
        initial_message=initial_message,
        outcomes=outcomes,
        max_messages=max_messages,
        seed=seed,
        judge=judge,
        termination=termination,
        llm=llm,
        bot=dict(bot) if bot is not None else None,
        expect=expect,
        weight=weight,
    )


def _name(root: TableReader, path: Path | None) -> str:
    if root.has("name"):
        name = root.string("name")
        if not is_slug(name):
            raise root.error(
                "name",
                "expected a lowercase slug (a-z, 0-9, '_' or '-', starting with a letter),"
                f" e.g. 'refund-request', got {name!r}",
            )
        return name
    root.string("name", "")  # mark as read
    stem = path.stem if path is not None else ""
    if not stem:
        raise root.error("name", "missing required key (no file name to default it from)")
    if not is_slug(stem):
        raise root.error(
            "name",
            f"the file name {stem!r} is not a lowercase slug; rename the file or set"
            " name = \"...\" (a-z, 0-9, '_' or '-')",
        )
    return stem


def _role(reader: TableReader, key: str, default: str | None = None) -> ParticipantRole:
    value = (
        reader.string(key, choices=_ROLES)
        if default is None
        else reader.string(key, default, choices=_ROLES)
    )
    return ParticipantRole(value)


def _intent(reader: TableReader) -> Intent:
    intent = Intent(
        role=_role(reader, "role", "customer"),
        description=reader.string("description", non_empty=True),
    )
    reader.finish()
    return intent


def _initial_message(root: TableReader) -> MessageDraft:
    if isinstance(root.data.get("initial_message"), str):
        content = root.string("initial_message", non_empty=True)
        return MessageDraft(content=content, sender=ParticipantRole.CUSTOMER)
    table = root.table("initial_message", required=True)
    assert table is not None
    draft = MessageDraft(
        content=table.string("content", non_empty=True),
        sender=_role(table, "sender", "customer"),
    )
    table.finish()
    return draft


def _outcomes(root: TableReader) -> tuple[Outcomes, tuple[OutcomeKeywords, ...]]:
    readers = root.tables("outcomes", required=True)
    if not readers:
        raise root.error("outcomes", "expected at least one [[outcomes]] table")
    outcomes: list[Outcome] = []
    keywords: list[OutcomeKeywords] = []
    first_seen: dict[str, str] = {}
    for reader in readers:
        name = reader.string("name")
        if not is_slug(name, dash=False):
            raise reader.error(
                "name",
                "expected a lowercase slug (a-z, 0-9 and '_', starting with a letter),"
                f" e.g. 'resolved' or 'sale_completed', got {name!r}",
            )
        if name in first_seen:
            raise reader.error("name", f"duplicate outcome {name!r} (also {first_seen[name]})")
        first_seen[name] = reader.key("name")
        outcomes.append(Outcome(name=name, description=reader.string("description", "")))
        phrases = reader.strings("keywords")
        if reader.has("keywords") and not all(p.strip() for p in phrases):
            raise reader.error("keywords", "expected non-empty phrases")
        said_by = _role(reader, "said_by") if reader.has("said_by") else None
        reader.string("said_by", "")  # mark as read when absent
        if phrases or said_by is not None:
            keywords.append(OutcomeKeywords(name, phrases, said_by))
        reader.finish()
    return Outcomes(tuple(outcomes)), tuple(keywords)


def _participant(
    reader: TableReader | None,
    role: ParticipantRole,
    source: str,
    customer_facts: Mapping[str, str],
    path: Path | None = None,
) -> ParticipantSpec:
    if reader is None:
        reader = TableReader({}, role.value, source)
    kind = reader.string("kind", "offline", choices=scenario_models.PARTICIPANT_KINDS)
    facts = reader.string_map("facts")
    turns = reader.strings("turns")
    if kind == "scripted" and not turns:
        raise reader.error("turns", "kind = 'scripted' needs at least one line in turns")
    if kind != "scripted" and turns:
        raise reader.error("turns", f"only used with kind = 'scripted' (kind is {kind!r})")
    offline_reader = reader.table("offline")
    offline = (
        read_customer_rules(offline_reader, facts)
        if role is ParticipantRole.CUSTOMER
        else read_agent_rules(offline_reader, facts, customer_facts)
    )
    spec = ParticipantSpec(
        role=role,
        kind=kind,
        persona=reader.string("persona", ""),
        facts=facts,
        turns=turns,
        instructions=reader.string("instructions", ""),
        offline=offline,
        rag=_rag(reader, role, path),
    )
    reader.finish()
    return spec


def _rag(reader: TableReader, role: ParticipantRole, path: Path | None) -> RagSpec | None:
    table = reader.table("rag")
    if table is None:
        return None
    if role is not ParticipantRole.CUSTOMER:
        raise reader.error("rag", "only the customer draws on real chats")
    library = Path(table.string("library", non_empty=True))
    if not library.is_absolute() and path is not None:
        library = path.parent / library
    spec = RagSpec(
        library=library,
        k=table.integer("k", 4, minimum=1),
        method=table.string("method", "bm25", choices=METHODS),
        embedding_model=table.string("embedding_model", DEFAULT_EMBEDDING_MODEL, non_empty=True),
    )
    table.finish()
    return spec


def _judge(
    reader: TableReader | None, keywords: tuple[OutcomeKeywords, ...], source: str
) -> JudgeSpec:
    if reader is None:
        reader = TableReader({}, "judge", source)
    kind = reader.string("kind", "offline", choices=scenario_models.JUDGE_KINDS)
    every = reader.integer("every_n_messages", 1, minimum=1)
    min_messages = reader.integer("min_messages", 1, minimum=1)
    llm = reader.raw_table("llm")
    reader.finish()
    if kind == "keyword" and not any(k.phrases for k in keywords):
        raise reader.error(
            "kind",
            "the keyword judge needs keywords = [...] on at least one [[outcomes]] table"
            " (or set judge.kind = 'llm' or 'none')",
        )
    try:
        llm_settings = LLMSettings.from_mapping(llm, source=f"{source}: judge.llm") if llm else None
    except ValueError as exc:
        problem = str(exc).removeprefix(f"{source}: judge.llm: ")
        raise ScenarioError(source, "judge.llm", problem) from None
    return JudgeSpec(
        kind=kind,
        keywords=keywords,
        every_n_messages=every,
        min_messages=min_messages,
        llm=llm_settings,
        llm_table=dict(llm) if llm else None,
    )


def _termination(reader: TableReader | None, outcomes: Outcomes) -> TerminationSpec:
    if reader is None:
        return TerminationSpec()
    closing = reader.strings("closing_phrases", DEFAULT_CLOSING_PHRASES)
    closing_by = reader.string("closing_by", "either", choices=scenario_models.CLOSING_SIDES)
    for index, pattern in enumerate(closing):
        try:
            compiled = check_pattern(pattern)
        except ValueError as exc:
            raise reader.item_error("closing_phrases", index, str(exc)) from None
        if compiled.search("") is not None:
            # "" or "a*" would end every chat at its first message as a "closing phrase".
            raise reader.item_error(
                "closing_phrases",
                index,
                f"{pattern!r} matches empty text, so it would end every chat at once",
            )
    terminal = reader.names_of("terminal_outcomes", outcomes.names, "outcomes")
    spec = TerminationSpec(
        closing_phrases=closing,
        closing_by=closing_by,
        terminal_outcomes=terminal,
        llm_completion=reader.boolean("llm_completion", False),
        goal_completion=reader.boolean("goal_completion", False),
        goal_phrases=reader.strings("goal_phrases"),
        inactivity_timeout=reader.number("inactivity_timeout", 30.0, minimum=0.1),
        response_timeout=reader.number("response_timeout", 30.0, minimum=0.1),
        settle_seconds=reader.number("settle_seconds", 1.0, minimum=0.0),
        max_wall_time=reader.number("max_wall_time", 600.0, minimum=1.0),
        typing_delay=reader.boolean("typing_delay", True),
    )
    reader.finish()
    return spec


def _llm(root: TableReader, source: str) -> LLMSettings:
    table = root.raw_table("llm")
    prefix = f"{source}: llm"
    try:
        return LLMSettings.from_mapping(table or {}, source=prefix)
    except ValueError as exc:
        problem = str(exc).removeprefix(f"{prefix}: ")
        raise ScenarioError(source, "llm", problem) from None
