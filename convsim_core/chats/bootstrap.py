"""Draft scenarios from real chats: one per group of chats with the same intent.

Offline, chats are grouped by what their customers ask in their first turns (TF-IDF and
spherical k-means); each group becomes a draft with the intent, a persona sketch, the facts seen
in its most typical chat, that chat's opening message, the outcomes seen with a description and
keywords from the agents' own closing words, and a ``weight``: the group's share of all chats,
so a suite's weighted pass rate estimates the production resolution rate. Drafts are a start
for a person to edit, and say so at their top.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence

import attrs
import numpy as np

from convsim_core.chats.grounding import is_generic
from convsim_core.chats.records import Chat
from convsim_core.chats.retrieval import words
from convsim_core.chats.style import persona_sketch
from convsim_core.chats.vectors import TfIdf, kmeans
from convsim_core.models import ParticipantRole

_GREETING = re.compile(r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[ ,.!]*", re.I)
_NO_OUTCOME = frozenset({"", "none", "no_outcome", "unknown", "null"})


@attrs.frozen
class DraftOutcome:
    name: str
    description: str
    keywords: tuple[str, ...]
    chats: int


@attrs.frozen
class DraftScenario:
    name: str
    title: str
    intent: str
    persona: str
    facts: dict[str, str]
    initial_message: str
    outcomes: tuple[DraftOutcome, ...]
    weight: float
    chat_ids: tuple[str, ...]
    max_messages: int


def opening(chat: Chat) -> str:
    """What the customer first asked: the first two customer turns, greeting removed."""
    said = [t for t in chat.customer_texts if t.strip()][:2]
    return _GREETING.sub("", " ".join(said)).strip()


def group_by_intent(chats: Sequence[Chat], count: int, *, seed: int = 0) -> list[list[Chat]]:
    """Largest group first; chats in a group ordered by how typical they are of it."""
    if not chats:
        return []
    texts = [opening(chat) for chat in chats]
    tfidf = TfIdf(texts)
    matrix = tfidf.transform(texts)
    labels, centroids = kmeans(matrix, count, seed=seed)
    groups: list[list[Chat]] = []
    for cluster in range(len(centroids)):
        members = np.flatnonzero(labels == cluster)
        if not len(members):
            continue
        closeness = matrix[members] @ centroids[cluster]
        ordered = members[np.argsort(-closeness, kind="stable")]
        groups.append([chats[int(i)] for i in ordered])
    groups.sort(key=len, reverse=True)
    return groups


def draft_scenarios(chats: Sequence[Chat], count: int, *, seed: int = 0) -> list[DraftScenario]:
    groups = group_by_intent(chats, count, seed=seed)
    total = sum(len(g) for g in groups)
    everywhere = _opening_words(chats)
    used: set[str] = set()
    return [_draft(group, total, used, everywhere, len(chats)) for group in groups]


def _opening_words(chats: Sequence[Chat]) -> Counter[str]:
    return Counter(word for chat in chats for word in set(words(opening(chat))))


def _draft(
    group: list[Chat], total: int, used: set[str], everywhere: Counter[str], count: int
) -> DraftScenario:
    typical = group[0]
    themes = _themes(group, everywhere, count, 4)
    name = _unique(_slug("-".join(themes[:2]) or "chats"), used)
    request = _request(group)
    intent = request or f"Get help with {', '.join(themes)}."
    turns = [len(chat.turns) for chat in group]
    return DraftScenario(
        name=name,
        title=f"Customers asking about {', '.join(themes[:3]) or 'other things'}",
        intent=intent,
        persona=persona_sketch(group),
        facts=facts_seen(typical),
        initial_message=opening(typical).split("\n")[0] or intent,
        outcomes=_outcomes(group),
        weight=round(len(group) / total, 4) if total else 0.0,
        chat_ids=tuple(chat.chat_id for chat in group),
        max_messages=max(6, min(40, 2 * round(statistics.median(turns)) + 2)),
    )


def _themes(group: Sequence[Chat], everywhere: Counter[str], count: int, n: int) -> list[str]:
    """The words of the group's openings that set it apart: frequent here, rarer elsewhere."""
    here = _opening_words(group)
    floor = max(2, math.ceil(len(group) * 0.1))
    scored = [
        ((seen / len(group)) * math.log(count / everywhere[word]), word)
        for word, seen in here.items()
        if seen >= floor and len(word) > 2
    ]
    scored.sort(reverse=True)
    return [word for _score, word in scored[:n]]


def _request(group: Sequence[Chat]) -> str:
    """The most typical generic first request of the group, as the intent."""
    for chat in group[:20]:
        for text in chat.customer_texts[:2]:
            text = _GREETING.sub("", " ".join(text.split())).strip(" ,")
            if is_generic(text) and 4 <= len(text.split()) <= 25:
                return text[:1].upper() + text[1:]
    return ""


# -- facts ---------------------------------------------------------------------------------

_FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("time", re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b", re.I)),
    (
        "date",
        re.compile(
            r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? "
            r"\d{1,2}(?:st|nd|rd|th)?"
            r"|\b\d{1,2}(?:st|nd|rd|th) of \w+|\b(?:today|tonight|tomorrow|next \w+day"
            r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
            re.I,
        ),
    ),
    (
        "people",
        re.compile(
            r"\b(?:for )?(\d{1,2}|one|two|three|four|five|six) (?:people|persons?|guests)\b", re.I
        ),
    ),
    (
        "amount",
        re.compile(
            r"[$€£]\s?\d[\d,]*(?:\.\d{2})?|\b\d[\d,]*(?:\.\d{2})? (?:dollars|euros|pounds)\b", re.I
        ),
    ),
    ("place", re.compile(r"\b(?:in|at|to|from|near) ((?:[A-Z][a-z]+ ?){1,3})")),
    ("reference", re.compile(r"\b[A-Z]{2,5}-?\d{4,}\b")),
)


def facts_seen(chat: Chat) -> dict[str, str]:
    """Values a customer gave in this chat, by kind (already scrubbed of personal data)."""
    facts: dict[str, str] = {}
    for text in chat.customer_texts:
        for key, pattern in _FACT_PATTERNS:
            if key in facts:
                continue
            match = pattern.search(text)
            if match:
                value = (match.group(1) if match.groups() else match.group()).strip()
                if value:
                    facts[key] = value
    return facts


# -- outcomes ------------------------------------------------------------------------------


def _outcomes(group: Sequence[Chat]) -> tuple[DraftOutcome, ...]:
    labelled = [c for c in group if (c.outcome or "").strip().lower() not in _NO_OUTCOME]
    by_label: dict[str, list[Chat]] = {}
    for chat in labelled:
        by_label.setdefault(_outcome_name(chat.outcome or ""), []).append(chat)
    outcomes = []
    for name, members in sorted(by_label.items(), key=lambda item: -len(item[1])):
        others = [c for c in labelled if _outcome_name(c.outcome or "") != name]
        keywords = _distinctive(members, others)
        example = _closing_agent_line(members, keywords)
        description = (
            f"The chat ended as '{name}' in the source logs ({len(members)} of {len(group)}"
            " real chats with this intent)."
        )
        if example:
            description += f' A typical agent line at that point: "{example}"'
        outcomes.append(DraftOutcome(name, description, keywords, len(members)))
    return tuple(outcomes)


def _outcome_name(label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return slug if slug[:1].isalpha() else f"outcome_{slug}" if slug else "outcome"


def _agent_endings(chat: Chat) -> list[str]:
    return [t.text for t in chat.turns if t.role is ParticipantRole.AGENT][-3:]


_COURTESY_WORDS = """
sorry thanks thank please great nice wonderful enjoy good day else anything help welcome
glad happy okay sure assist today time
"""
_COURTESY = frozenset(_COURTESY_WORDS.split())
_CALENDAR_WORDS = """
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december tomorrow tonight
"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
_GLUE_WORDS = """
a an the and or but if of to in on at for with by from is are was were be been am i me my
you your we our it its this that do does did have has had can could would will should just
so there here what when which who how
"""
_GLUE = frozenset(_GLUE_WORDS.split())
_TOKEN = re.compile(r"[a-z']+")


def _phrases(text: str) -> set[str]:
    """Words and word pairs an outcome could be recognised by: no courtesy ("sorry for the
    trouble" opens chats of every outcome), no dates, no pair of glue words."""
    tokens = _TOKEN.findall(text.lower())
    found: set[str] = set()
    for index, word in enumerate(tokens):
        if len(word) >= 4 and word not in _GLUE | _COURTESY | _CALENDAR:
            found.add(word)
        if index + 1 < len(tokens):
            pair = (word, tokens[index + 1])
            if not set(pair) <= _GLUE and not set(pair) & (_COURTESY | _CALENDAR):
                found.add(" ".join(pair))
    return found


def _distinctive(members: Sequence[Chat], others: Sequence[Chat], n: int = 4) -> tuple[str, ...]:
    """Phrases the agents' last turns use in these chats more than in the others (log-odds)."""
    mine = Counter(p for c in members for p in _phrases(" ".join(_agent_endings(c))))
    theirs = Counter(p for c in others for p in _phrases(" ".join(_agent_endings(c))))
    floor = max(2, math.ceil(len(members) * 0.1))
    scored = []
    for word, count in mine.items():
        if count < floor:
            continue
        odds = math.log((count + 0.5) / (len(members) - count + 0.5)) - math.log(
            (theirs[word] + 0.5) / (len(others) - theirs[word] + 0.5)
        )
        scored.append((odds, count, word))
    scored.sort(reverse=True)
    return tuple(word for _odds, _count, word in scored[:n])


def _closing_agent_line(members: Sequence[Chat], keywords: Sequence[str]) -> str:
    """The agent line near the end that carries most of the outcome's keywords."""
    best, best_score = "", 0
    for chat in members[:50]:
        for text in _agent_endings(chat):
            score = len(set(words(text)) & set(keywords))
            if score > best_score and 3 <= len(text.split()) <= 25:
                best, best_score = text, score
    return best


# -- writing -------------------------------------------------------------------------------


_FAILURE_NAMES = re.compile(r"fail|unresolv|abandon|escalat|error|refus|declin|lost|timeout")


def _likely_pass(outcomes: Sequence[DraftOutcome]) -> str:
    """A guess for the template only: the most common outcome whose name is not a failure's."""
    good = [o.name for o in outcomes if not _FAILURE_NAMES.search(o.name)]
    return good[0] if good else outcomes[0].name


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug if slug[:1].isalpha() else f"chats-{slug}".strip("-")


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate in used:
        candidate = f"{name}-{number}"
        number += 1
    used.add(candidate)
    return candidate


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def scenario_toml(draft: DraftScenario) -> str:
    shown = ", ".join(draft.chat_ids[:5]) + (" ..." if len(draft.chat_ids) > 5 else "")
    lines = [
        "# A draft written by `convsim scenarios from-chats` from"
        f" {len(draft.chat_ids)} real chats ({shown}).",
        "# Review the intent, facts and outcomes before relying on it.",
        "",
        f"name = {_q(draft.name)}",
        f"title = {_q(draft.title)}",
        f"description = {_q('Bootstrapped from real chats with this intent.')}",
        f"weight = {draft.weight}",
        f"max_messages = {draft.max_messages}",
        "",
        "[[intents]]",
        'role = "customer"',
        f"description = {_q(draft.intent)}",
        "",
        "[initial_message]",
        'sender = "customer"',
        f"content = {_q(draft.initial_message)}",
        "",
        "[customer]",
        'kind = "offline"',
        f"persona = {_q(draft.persona or 'A customer.')}",
    ]
    if draft.facts:
        lines += ["", "[customer.facts]"]
        lines += [f"{key} = {_q(value)}" for key, value in draft.facts.items()]
    lines += ["", "[agent]", 'kind = "offline"']
    outcomes = draft.outcomes or (
        DraftOutcome(
            "resolved",
            "The agent did what the customer asked (no outcomes were recorded in the chats:"
            " describe this one).",
            ("done",),
            0,
        ),
    )
    for outcome in outcomes:
        lines += ["", "[[outcomes]]", f"name = {_q(outcome.name)}"]
        lines.append(f"description = {_q(outcome.description)}")
        if outcome.keywords:
            lines.append(f"keywords = [{', '.join(_q(k) for k in outcome.keywords)}]")
            lines.append('said_by = "agent"')
    # Which outcome is the good one is the user's call, not the logs': a template to uncomment
    # (convsim test needs it; the weighted pass rate of `convsim report` is built on it).
    lines += [
        "",
        "# Uncomment once you have checked which outcomes count as a pass:",
        "# [expect]",
        f"# pass = [{_q(_likely_pass(outcomes))}]",
    ]
    return "\n".join(lines) + "\n"
