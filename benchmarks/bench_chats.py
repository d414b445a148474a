"""Chat-library benchmark (issue: real chats in, realistic customers out).

Run from the repo root: ``python -m benchmarks.bench_chats``. Prints, for this machine:
1. importing and indexing 10,000 chats (the 600 real SGD dialogues of ``shared/data``, repeated
   with distinct ids): read + scrub, append to the library, BM25 index build; against reading
   the same JSONL lines with ``json.loads`` alone (the baseline, same run);
2. retrieval latency per turn: BM25 over the 10,000-chat library, and embeddings through
   LangChain against the local OpenAI-compatible test server (cold, then cached queries);
3. a batch of offline conversations with and without ``rag`` (wall time per conversation) and
   the realism score of each against the library.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from convsim_core.builder import build_full_runner
from convsim_core.chats.importers import read_chats
from convsim_core.chats.library import ChatLibrary
from convsim_core.chats.realism import measure, reference_chats
from convsim_core.chats.retrieval import BM25Retriever, EmbeddingRetriever
from convsim_core.llm.settings import LLMSettings
from convsim_core.models import ParticipantRole
from convsim_core.scenario import load_scenario
from tests.chat_fixtures import reserve_table

ROOT = Path(__file__).resolve().parent.parent
SGD = ROOT.parent / "shared" / "data" / "sgd-train-600.jsonl.gz"
QUERIES = (
    "I'd like to reserve a table for two tonight",
    "can you find me a one-way flight to Chicago",
    "I want to transfer money to my savings account",
    "are there any concerts this weekend",
    "I need a dentist appointment next week",
)


def make_corpus(folder: Path, count: int, data: Path) -> Path:
    raw = data.read_bytes()
    lines = (gzip.decompress(raw) if data.suffix == ".gz" else raw).decode().splitlines()
    out = folder / "chats-10k.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for i in range(count):
            record = json.loads(lines[i % len(lines)])
            record["id"] = f"{record['id']}-{i}"
            handle.write(json.dumps(record) + "\n")
    return out


def bench_import(folder: Path, corpus: Path) -> Path:
    start = time.perf_counter()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        json.loads(line)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    result = read_chats(corpus)
    read = time.perf_counter() - start
    library = ChatLibrary.open(folder / "lib", create=True)
    start = time.perf_counter()
    library.add(result.chats)
    stored = time.perf_counter() - start
    start = time.perf_counter()
    retriever = BM25Retriever.for_library(ChatLibrary.open(library.folder))
    indexed = time.perf_counter() - start
    start = time.perf_counter()
    BM25Retriever.for_library(ChatLibrary.open(library.folder))
    reloaded = time.perf_counter() - start
    turns = len(retriever._turns)
    print(f"1. import + index {len(result.chats):,} chats ({turns:,} customer turns)")
    print(f"   json.loads alone (baseline): {baseline * 1000:8.0f} ms")
    print(f"   read + scrub:                {read * 1000:8.0f} ms")
    print(f"   append to library:           {stored * 1000:8.0f} ms")
    print(f"   BM25 index build + save:     {indexed * 1000:8.0f} ms")
    print(f"   total:                       {(read + stored + indexed):8.2f} s")
    print(f"   open library + load index:   {reloaded * 1000:8.0f} ms")
    return library.folder


async def bench_retrieval(library_folder: Path, embed_chats: int) -> None:
    retriever = BM25Retriever.for_library(ChatLibrary.open(library_folder))
    timings = []
    for _ in range(20):
        for query in QUERIES:
            start = time.perf_counter()
            retriever.search_now(query, 40)
            timings.append(time.perf_counter() - start)
    print("2. retrieval latency per turn")
    print(
        f"   BM25, 10,000 chats:  median {statistics.median(timings) * 1e3:.2f} ms,"
        f" p95 {sorted(timings)[int(len(timings) * 0.95)] * 1e3:.2f} ms"
    )
    sys.path.insert(0, str(ROOT))
    from tests.support.openai_server import OpenAIServer

    small = ChatLibrary.open(library_folder.parent / "embed-lib", create=True)
    small.add(ChatLibrary.open(library_folder).chats()[:embed_chats])
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    async with OpenAIServer() as server:
        settings = LLMSettings(base_url=server.base_url, max_retries=0, cache_path="off")
        start = time.perf_counter()
        embedded = await EmbeddingRetriever.for_library(small, settings)
        build = time.perf_counter() - start
        cold, warm = [], []
        for query in QUERIES:
            start = time.perf_counter()
            await embedded.search(query, 4)
            cold.append(time.perf_counter() - start)
        for query in QUERIES:
            start = time.perf_counter()
            await embedded.search(query, 4)
            warm.append(time.perf_counter() - start)
        calls = len(server.embedding_requests)
        start = time.perf_counter()
        await EmbeddingRetriever.for_library(ChatLibrary.open(small.folder), settings)
        reload = time.perf_counter() - start
    print(
        f"   embeddings, {embed_chats:,} chats (local server): index build {build:.2f} s,"
        f" query cold median {statistics.median(cold) * 1e3:.1f} ms,"
        f" cached median {statistics.median(warm) * 1e3:.1f} ms; {calls} embedding requests;"
        f" second open {reload * 1e3:.0f} ms with {len(server.embedding_requests) - calls}"
        " new requests"
    )


async def bench_batch(folder: Path, library_folder: Path, runs: int) -> None:
    print(f"3. batch of {runs} offline conversations, with and without rag")
    scores = {}
    for name, rag in (("plain", ""), ("grounded", f'rag = {{ library = "{library_folder}" }}')):
        path = folder / f"{name}.toml"
        path.write_text(
            reserve_table(rag=rag),
            encoding="utf-8",
        )
        scenario = load_scenario(path)
        start = time.perf_counter()
        results = [await build_full_runner(scenario, seed=seed).run() for seed in range(runs)]
        wall = time.perf_counter() - start
        said = [
            [m.content for m in r.conversation.messages if m.sender is ParticipantRole.CUSTOMER]
            for r in results
        ]
        real = reference_chats(library_folder, scenario.initial_message.content)
        scores[name] = measure(said, real).score
        print(
            f"   {name:9} {wall / runs * 1e3:6.1f} ms per conversation (first includes the pool"
            f" retrieval), realism {scores[name]:.2f}"
        )
    originals = ChatLibrary.open(library_folder).chats()[:600]  # the corpus repeats after 600
    real_score = measure(
        [c.customer_texts for c in originals[300:]], [c.customer_texts for c in originals[:300]]
    ).score
    print(f"   300 real chats against 300 others: realism {real_score:.2f} (the ceiling)")


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        data = args.data if args.data.exists() else ROOT / "tests" / "data" / "sgd-slice.jsonl"
        corpus = make_corpus(folder, args.chats, data)
        library = bench_import(folder, corpus)
        await bench_retrieval(library, args.embed_chats)
        await bench_batch(folder, library, args.runs)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--embed-chats", type=int, default=600)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--data", type=Path, default=SGD, help="real dialogues (SGD JSONL[.gz])")
    sys.exit(asyncio.run(main(parser.parse_args())))
