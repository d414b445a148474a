"""`convsim chats import`: every log format, malformed input, scrubbing, appending."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from convsim_core.chats.importers import ChatImportError, normalise_role, read_chats
from convsim_core.chats.library import ChatLibrary
from convsim_core.chats.scrub import scrub
from convsim_core.models import ParticipantRole
from tests.chat_fixtures import SGD_SLICE, write_sgd
from tui.cli import main

CUSTOMER, AGENT = ParticipantRole.CUSTOMER, ParticipantRole.AGENT


def test_sgd_format_keeps_speakers_outcome_and_intent(tmp_path: Path) -> None:
    result = read_chats(write_sgd(tmp_path / "d.jsonl", 0, 10))
    assert len(result.chats) == 10 and not result.skipped
    chat = result.chats[0]
    first = json.loads(SGD_SLICE.read_text(encoding="utf-8").splitlines()[0])
    assert chat.chat_id == f"d:{first['id']}"
    assert chat.outcome == first["label"]
    assert chat.turns[0].role is CUSTOMER and chat.turns[1].role is AGENT
    assert chat.turns[1].text == scrub(first["turns"][1][1])
    assert chat.intent and "_" not in chat.intent


def test_gzipped_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress(write_sgd(tmp_path / "x.jsonl", 0, 3).read_bytes()))
    assert len(read_chats(path).chats) == 3


def test_rows_as_jsonl_and_csv_group_by_conversation(tmp_path: Path) -> None:
    rows = [
        {"conversation_id": "a", "role": "user", "text": "My parcel never came", "ts": "t1"},
        {"conversation_id": "a", "role": "agent", "text": "Sorry! Order number?"},
        {"conversation_id": "b", "role": "Customer", "text": "Cancel my plan", "outcome": "done"},
        {"conversation_id": "a", "role": "customer", "text": "It is 4411"},
        {"conversation_id": "b", "role": "narrator", "text": "(silence)"},
    ]
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    csv_path = tmp_path / "rows.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["conversation_id", "role", "text", "ts", "outcome"])
        writer.writeheader()
        writer.writerows(rows)
    for path in (jsonl, csv_path):
        result = read_chats(path)
        a, b = result.chats
        assert a.chat_id.endswith(":a") and [t.role for t in a.turns] == [CUSTOMER, AGENT, CUSTOMER]
        assert a.turns[0].timestamp == "t1"
        assert b.outcome == "done"
        (skip,) = result.skipped
        assert "unknown role 'narrator'" in str(skip) and str(path) in str(skip)


def test_openai_chat_format_drops_the_system_prompt(tmp_path: Path) -> None:
    path = tmp_path / "ft.jsonl"
    record = {
        "id": "x1",
        "messages": [
            {"role": "system", "content": "You are a helpful bank assistant."},
            {"role": "user", "content": "I lost my card"},
            {"role": "assistant", "content": [{"type": "text", "text": "I've frozen it."}]},
        ],
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (chat,) = read_chats(path).chats
    assert [(t.role, t.text) for t in chat.turns] == [
        (CUSTOMER, "I lost my card"),
        (AGENT, "I've frozen it."),
    ]


def test_convsim_transcripts_are_chats(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    assert main(["demo", "--headless", "--out", str(out)]) == 0
    (chat,) = read_chats(out).chats
    assert chat.chat_id == "t" and chat.outcome == "resolved"
    assert chat.turns[0].role is CUSTOMER and len(chat.turns) > 4


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.jsonl", '{"turns": []}\n{not json\n', "bad.jsonl:2: not JSON"),
        ("list.jsonl", "[1, 2]\n", "list.jsonl:1: expected a JSON object per line"),
        ("nocol.csv", "chat,who,words\n1,user,hi\n", "nocol.csv:2: no conversation id column"),
        ("sgd.jsonl", '{"turns": [["robot", "hi", []]]}\n', "sgd.jsonl:1: unknown speaker 'robot'"),
        ("oa.jsonl", '{"messages": [{"role": "user"}]}\n', "oa.jsonl:1: a message needs text"),
        ("empty.jsonl", "\n\n", "empty.jsonl: empty file"),
    ],
)
def test_malformed_logs_name_the_file_and_line(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChatImportError, match=expected.replace("[", r"\[")):
        read_chats(path)


def test_roles_are_normalised() -> None:
    assert normalise_role("USER") is CUSTOMER and normalise_role("End User") is CUSTOMER
    assert normalise_role("system") is AGENT and normalise_role("Bot") is AGENT
    assert normalise_role("narrator") is None and normalise_role(3) is None


def test_scrubbing_removes_emails_phones_and_cards_but_not_dates_or_orders() -> None:
    text = (
        "Mail me at jo.doe+x@mail.example.org or call +1 (650) 964-5437. Card 4111 1111 1111"
        " 1111, order ORD-558201, on 2019-03-11 at 11:30, ref 1234567890123."
    )
    scrubbed = scrub(text)
    assert "[EMAIL]" in scrubbed and "jo.doe" not in scrubbed
    assert "[PHONE]" in scrubbed and "964-5437" not in scrubbed
    assert "[CARD]" in scrubbed and "4111" not in scrubbed
    assert "ORD-558201" in scrubbed and "2019-03-11" in scrubbed and "11:30" in scrubbed
    assert "1234567890123" in scrubbed  # 13 digits failing the Luhn check: not a card
    assert scrub("call 4155551234 or 555-1234") == "call [PHONE] or [PHONE]"


def test_openai_chat_with_an_unknown_role_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "oa.jsonl"
    lines = [
        {"messages": [{"role": "narrator", "content": "x"}, {"role": "user", "content": "hi"}]},
        {"messages": [{"role": "user", "content": "my bill is wrong"}]},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = read_chats(path)
    assert len(result.chats) == 1
    (skip,) = result.skipped
    assert str(skip) == f"{path}:1: unknown role 'narrator'"


def test_a_library_with_nothing_to_index_searches_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hi.csv"
    path.write_text("conversation_id,role,text\n1,user,hi\n1,agent,hello\n", encoding="utf-8")
    lib = tmp_path / "lib"
    assert main(["chats", "import", str(path), "--into", str(lib)]) == 0
    capsys.readouterr()
    assert main(["chats", "search", str(lib), "hi"]) == 0
    assert "no customer turn shares a word" in capsys.readouterr().out


def test_cli_import_appends_reports_duplicates_and_indexes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_sgd(tmp_path / "a.jsonl", 0, 20)
    second = write_sgd(tmp_path / "b.jsonl", 20, 30)
    lib = tmp_path / "lib"
    assert main(["chats", "import", str(first), "--into", str(lib)]) == 0
    assert "imported 20 chats, skipped 0" in capsys.readouterr().out
    assert main(["chats", "import", str(second), str(first), "--into", str(lib)]) == 0
    out = capsys.readouterr().out
    assert f"{second}: imported 10 chats, skipped 0" in out
    assert f"{first}: imported 0 chats, skipped 20" in out and "already in the library" in out
    library = ChatLibrary.open(lib)
    assert library.count == 30 and len(library.chats()) == 30
    assert (lib / "bm25" / "meta.json").exists()


def test_cli_import_error_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_sgd(tmp_path / "good.jsonl", 0, 5)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"turns": [["user", "hi", []]]}\n{oops\n', encoding="utf-8")
    lib = tmp_path / "lib"
    assert main(["chats", "import", str(good), str(bad), "--into", str(lib)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.jsonl:2: not JSON" in err
    assert not (lib / "chats.jsonl").exists()


def test_no_scrub_keeps_the_text(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(
        json.dumps({"id": "1", "role": "user", "text": "I'm jo@example.com"}) + "\n",
        encoding="utf-8",
    )
    assert read_chats(path, scrub_pii=False).chats[0].turns[0].text == "I'm jo@example.com"
    assert read_chats(path).chats[0].turns[0].text == "I'm [EMAIL]"
