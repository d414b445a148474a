"""Is this message a sign-off? A closing phrase ends a chat only when the message takes leave.

"Sure, I'll take care of that refund right away" and "You can say goodbye to those fees"
contain closing phrases but say nothing about leaving; a farewell is a short sentence of its
own ("Thanks, have a great day!", "Bye for now."), near the end of the message. The rules:

- the phrase is in one of the message's last two clauses and no question follows it;
- the clause is not a question ("Did it say goodbye?") and the phrase is not in quotes or a
  title ("Goodbye Yellow Brick Road", a song called "Goodbye");
- the phrase has no object ("take care *of*", "say goodbye *to*"; "take care of yourself" is
  still a farewell) and is not reported speech ("she said goodbye");
- the rest of its segment is short: besides the phrase, at most a few words that are not
  pleasantries ("thanks for contacting us, have a great day").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from convsim_core.language import Clause, clauses

_OBJECT_WORDS = frozenset(
    {
        "of", "to", "with", "about", "that", "this", "these", "those", "the", "my", "your",
        "our", "their", "his", "her", "its", "it", "them", "on", "from",
    }
)  # fmt: skip
_REFLEXIVE = frozenset({"yourself", "yourselves", "you"})
_REPORTING = frozenset({"say", "said", "says", "saying", "bid", "bade", "wave", "waved", "kiss"})
_TITLE_CUES = frozenset(
    {
        "song", "called", "titled", "named", "album", "track", "movie", "film", "book", "play",
        "show", "single", "episode", "novel", "series", "hit", "listen", "watch",
    }
)  # fmt: skip
_PLEASANTRIES = frozenset(
    {
        "thanks", "thank", "you", "again", "and", "so", "ok", "okay", "well", "then", "now",
        "for", "great", "all", "bye", "cheers", "too", "a", "the", "oh", "alright", "right",
        "perfect", "wonderful", "good", "nice", "lovely", "see", "soon", "later", "talk", "to",
        "hope", "i", "we", "have", "it", "was", "pleasure", "much", "very", "really", "sir",
        "madam", "contacting", "us", "chatting", "helping", "help", "your", "day", "awesome",
        "excellent", "yes", "no", "that", "is", "everything", "set",
    }
)  # fmt: skip
_MAX_OTHER_WORDS = 3
_QUOTES = re.compile(r"[\"\u201c\u201d\u2018\u2019«»]|(?:^|\s)'|'(?:\s|$)")


@attrs.frozen
class SignOff:
    """A farewell found in a message: the phrase and the clause it is in."""

    phrase: str
    clause: str


@attrs.frozen
class NotASignOff:
    """A closing phrase that occurred but did not take leave, and why (for "why not" reports)."""

    phrase: str
    reason: str


def find_sign_off(text: str, patterns: Sequence[re.Pattern[str]]) -> SignOff | NotASignOff | None:
    """The farewell ``text`` ends with; a near miss when a phrase only occurs; else None."""
    parts = clauses(text)
    miss: NotASignOff | None = None
    for position in range(len(parts) - 1, -1, -1):
        clause = parts[position]
        for pattern in patterns:
            found = pattern.search(clause.text)
            if found is None:
                continue
            later = parts[position + 1 :]
            why = _why_not(clause, found, text, later)
            if why is None:
                return SignOff(_as_written(text, found.group(0)), clause.text)
            miss = miss or NotASignOff(found.group(0), why)
    return miss


def _why_not(
    clause: Clause, found: re.Match[str], original: str, later: Sequence[Clause]
) -> str | None:
    if len(later) > 1:
        return "not at the end of the message"
    if any(c.is_question for c in later):
        return "a question follows it"
    if clause.question:
        return "it is in a question"
    before = clause.text[: found.start()].split()
    after = clause.text[found.end() :].split()
    next_word = after[0].strip(",.!;:") if after else ""
    if next_word in _OBJECT_WORDS and not (
        len(after) > 1 and after[1].strip(",.!;:") in _REFLEXIVE
    ):
        return f'"{found.group(0)} {next_word} ..." has an object'
    previous = before[-1].strip(",.!;:\"'") if before else ""
    if previous in _REPORTING:
        return "reported speech"
    if any(word.strip(",.!;:\"'") in _TITLE_CUES for word in before[-3:]):
        return "a title"
    if _quoted(original, found.group(0)):
        return "in quotes"
    if _title_case(original, found.group(0)):
        return "a title"
    segment_words = _segment_words(clause, found)
    others = [w for w in segment_words if w not in _PLEASANTRIES]
    if len(others) > _MAX_OTHER_WORDS:
        return "inside a longer sentence"
    return None


def _as_written(text: str, phrase: str) -> str:
    """The phrase with the message's own capitals ("Have a great day")."""
    written = re.search(re.escape(phrase), text, re.IGNORECASE)
    return written.group(0) if written else phrase


def _segment_words(clause: Clause, found: re.Match[str]) -> list[str]:
    """Words of the clause segment holding the match, without the matched words."""
    matched = found.group(0).split()
    start = clause.find(tuple(w.strip(",.!?;:") for w in matched)) if matched else None
    if start is None:
        return list(clause.words)
    segment = clause.segments[start]
    return [
        word
        for index, word in enumerate(clause.words)
        if clause.segments[index] == segment and not start <= index < start + len(matched)
    ]


def _quoted(original: str, phrase: str) -> bool:
    for match in re.finditer(re.escape(phrase), original, re.IGNORECASE):
        before = original[max(0, match.start() - 2) : match.start()]
        after = original[match.end() : match.end() + 25]
        if _QUOTES.search(before) and _QUOTES.search(after):
            return True
    return False


def _title_case(original: str, phrase: str) -> bool:
    """ "Goodbye Yellow Brick Road": the phrase capitalised and followed by capitalised words."""
    for match in re.finditer(re.escape(phrase), original, re.IGNORECASE):
        text = match.group(0)
        if not text[:1].isupper():
            continue
        following = original[match.end() :].split()[:2]
        if len(following) == 2 and all(w[:1].isupper() and w.isalpha() for w in following):
            return True
    return False
