"""JUnit XML for CI systems: ``testsuites > testsuite > testcase`` with ``failure``/``error``.

The element and attribute names are the ones Jenkins, GitLab, GitHub test reporters and Azure
read: every ``testcase`` has ``name``, ``classname`` and ``time``; a failed case carries a
``failure`` with a one-line ``message`` and the failing conversations as its text; a case
that could not be judged carries an ``error``. Written with ``xml.etree`` so escaping is never
hand-made.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from convsim_core.batch.cases import CaseState, TestCase

SUITE_NAME = "convsim"


def junit_xml(
    cases: Sequence[TestCase],
    *,
    suite: str = SUITE_NAME,
    properties: Mapping[str, str] | None = None,
    timestamp: datetime | None = None,
) -> str:
    failures = sum(c.state is CaseState.FAILED for c in cases)
    errors = sum(c.state is CaseState.ERROR for c in cases)
    total_time = f"{sum(c.seconds for c in cases):.3f}"
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": total_time,
    }
    root = ET.Element("testsuites", {"name": suite, **counts})
    stamp = (timestamp or datetime.now(UTC)).replace(microsecond=0).isoformat()
    element = ET.SubElement(root, "testsuite", {"name": suite, **counts, "timestamp": stamp})
    if properties:
        props = ET.SubElement(element, "properties")
        for name, value in properties.items():
            ET.SubElement(props, "property", {"name": name, "value": value})
    for case in cases:
        node = ET.SubElement(
            element,
            "testcase",
            {
                "name": case.scenario,
                "classname": f"{suite}.{case.scenario}",
                "time": f"{case.seconds:.3f}",
            },
        )
        if case.state is not CaseState.PASSED:
            tag = "failure" if case.state is CaseState.FAILED else "error"
            kind = "expectations" if case.state is CaseState.FAILED else "run_failed"
            problem = ET.SubElement(node, tag, {"message": case.message, "type": kind})
            problem.text = "\n".join((case.message, *case.details))
        out = ET.SubElement(node, "system-out")
        out.text = "\n".join((case.message, *case.details))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(
    path: str | Path, cases: Sequence[TestCase], *, properties: Mapping[str, str] | None = None
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(cases, properties=properties), encoding="utf-8")
    return path
