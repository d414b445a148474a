"""``convsim chats import|export|index|search``: a library of real chats to ground simulations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands.command import Command
from tui.numbers import POSITIVE_WHOLE, add_number
from tui.wiring.errors import UserError

_SHOWN_SKIPS = 20


def add_library(parser: argparse.ArgumentParser) -> None:
    """The first argument of a verb that works on one chat library (``LIB``)."""
    parser.add_argument("library", type=Path, metavar="LIB", help="chat library folder")


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="chat log files")
    parser.add_argument("--into", type=Path, required=True, metavar="LIB", help="library folder")
    parser.add_argument(
        "--format", default="auto", help="auto (default), convsim, rows, openai-chat, sgd"
    )
    parser.add_argument(
        "--no-scrub", action="store_true", help="keep emails, phone and card numbers as they are"
    )


def _index_arguments(parser: argparse.ArgumentParser) -> None:
    add_library(parser)
    parser.add_argument("--method", choices=("bm25", "embeddings"), default="bm25")
    parser.add_argument("--embedding-model", default=None, metavar="NAME")


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    add_library(parser)
    parser.add_argument("query")
    add_number(parser, "-k", rule=POSITIVE_WHOLE, default=5, metavar="K")
    parser.add_argument("--method", choices=("bm25", "embeddings"), default="bm25")


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    add_library(parser)
    parser.add_argument("--format", default="openai-chat", help="openai-chat (default)")
    parser.add_argument("--role", choices=("customer", "agent"), default="customer")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help="default: stdout")


def handle_import(args: argparse.Namespace) -> int:
    from convsim_core.chats.importers import ChatImportError, ReadResult, read_chats
    from convsim_core.chats.library import ChatLibrary, ChatLibraryError
    from convsim_core.chats.retrieval import BM25Retriever

    results: list[tuple[Path, ReadResult]] = []
    try:
        for path in args.files:  # every file is read before anything is written
            if not path.is_file():
                raise UserError(f"{path}: no such file")
            results.append((path, read_chats(path, fmt=args.format, scrub_pii=not args.no_scrub)))
        library = ChatLibrary.open(args.into, create=True)
        for path, result in results:
            report = library.add(result.chats)
            skipped = [*map(str, result.skipped)]
            skipped += [
                f"{path}:{chat_id}: already in the library" for chat_id in report.duplicates
            ]
            print(f"{path}: imported {report.added} chats, skipped {len(skipped)}")
            for line in skipped[:_SHOWN_SKIPS]:
                print(f"  skipped {line}")
            if len(skipped) > _SHOWN_SKIPS:
                print(f"  ... and {len(skipped) - _SHOWN_SKIPS} more")
        retriever = BM25Retriever.for_library(library)
    except (ChatImportError, ChatLibraryError) as exc:
        raise UserError(str(exc)) from None
    del retriever
    print(f"{args.into}: {library.count} chats, BM25 index up to date")
    return 0


async def handle_index(args: argparse.Namespace) -> int:
    from convsim_core.chats.library import ChatLibrary, ChatLibraryError
    from convsim_core.chats.retrieval import (
        DEFAULT_EMBEDDING_MODEL,
        BM25Retriever,
        EmbeddingRetriever,
    )
    from convsim_core.llm.errors import LLMError
    from convsim_core.llm.settings import LLMSettings

    try:
        library = ChatLibrary.open(args.library)
        if args.method == "bm25":
            BM25Retriever.for_library(library)
        else:
            model = args.embedding_model or DEFAULT_EMBEDDING_MODEL
            await EmbeddingRetriever.for_library(library, LLMSettings(), model=model)
    except (ChatLibraryError, LLMError) as exc:
        raise UserError(str(exc)) from None
    print(f"{args.library}: {args.method} index up to date ({library.count} chats)")
    return 0


async def handle_search(args: argparse.Namespace) -> int:
    from convsim_core.chats.library import ChatLibrary, ChatLibraryError
    from convsim_core.chats.retrieval import BM25Retriever, EmbeddingRetriever, Retriever
    from convsim_core.llm.errors import LLMError
    from convsim_core.llm.settings import LLMSettings

    try:
        library = ChatLibrary.open(args.library)
        retriever: Retriever
        if args.method == "bm25":
            retriever = BM25Retriever.for_library(library)
        else:
            retriever = await EmbeddingRetriever.for_library(library, LLMSettings())
        hits = await retriever.search(args.query, args.k)
    except (ChatLibraryError, LLMError) as exc:
        raise UserError(str(exc)) from None
    for hit in hits:
        print(f"{hit.score:7.3f}  {hit.chat_id}#{hit.turn_index}  {hit.text}")
    if not hits:
        print("no customer turn shares a word with that text")
    return 0


def handle_export(args: argparse.Namespace) -> int:
    from convsim_core.chats.export import EXPORT_FORMATS, openai_chat_lines
    from convsim_core.chats.library import ChatLibrary, ChatLibraryError
    from convsim_core.models import ParticipantRole

    if args.format not in EXPORT_FORMATS:
        raise UserError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {args.format!r}")
    try:
        library = ChatLibrary.open(args.library)
        lines = list(openai_chat_lines(library.chats(), ParticipantRole(args.role)))
    except ChatLibraryError as exc:
        raise UserError(str(exc)) from None
    text = "".join(line + "\n" for line in lines)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"{args.out}: {len(lines)} chats as {args.format} for the {args.role}", file=sys.stderr)
    return 0


COMMAND = Command(
    "chats",
    help="import, index, search and export real chats",
    description="A chat library: real chats that ground simulated customers and scenarios.",
    verbs=(
        Command(
            "import",
            help="add chat logs to a library",
            description=(
                "Read chat logs (convsim transcripts, JSONL/CSV rows, OpenAI chat format,"
                " Schema-Guided Dialogue) into a library folder, scrubbing emails, phone and card"
                " numbers, and index them for retrieval."
            ),
            arguments=_import_arguments,
            handler=handle_import,
        ),
        Command(
            "index",
            help="build a library's retrieval index",
            description=(
                "Build (or refresh) the BM25 index, or the embedding index through the"
                " OpenAI-compatible endpoint of OPENAI_API_KEY / OPENAI_BASE_URL."
            ),
            arguments=_index_arguments,
            handler=handle_index,
        ),
        Command(
            "search",
            help="show the real customer turns closest to a text",
            arguments=_search_arguments,
            handler=handle_search,
        ),
        Command(
            "export",
            help="write fine-tuning data",
            description="Write chats as JSONL that teaches a model to play one side.",
            arguments=_export_arguments,
            handler=handle_export,
        ),
    ),
)
