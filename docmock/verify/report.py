"""The two reports of a verify run: the human summary and JUnit XML for CI."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .results import Finding, VerifyResult


def summary_lines(result: VerifyResult) -> list[str]:
    """The human summary: failures grouped by operation, each with what was wrong and a curl that reproduces it."""
    lines: list[str] = []
    failing = [op for op in result.operations if not op.passed]
    for op in failing:
        problems = len(op.findings) + (op.error is not None)
        lines.append(f"FAIL {op.name}  {op.label}  ({_count(problems, 'problem')}, {_count(op.requests, 'request')})")
        if op.error is not None:
            lines.append(f"  - error: {op.error}")
        for number, finding in enumerate(op.findings, 1):
            times = f", {finding.occurrences} times" if finding.occurrences > 1 else ""
            where = ", in a sequence" if finding.stateful else ""
            lines.append(f"  {number}. {finding.check}: {finding.title}{times}{where}")
            lines.extend(f"     {line}" for line in finding.message.splitlines())
            steps = finding.reproduce
            lines.append("     reproduce:" if len(steps) == 1 else f"     reproduce ({len(steps)} requests in order):")
            lines.extend(f"       {command}" for command in steps)
        lines.append("")
    not_run = [op for op in result.operations if op.not_run]
    if not_run:
        lines.append(f"not run ({not_run[0].not_run}): " + ", ".join(op.name for op in not_run))
    stateful = result.stateful
    if stateful is None:
        sequences = "sequences off"
    elif not stateful.sequences:
        sequences = f"no sequences: {stateful.note}"
    else:
        sequences = (f"{stateful.requests} of them in {_count(stateful.sequences, 'sequence')} over "
                     f"{_count(stateful.links, 'link')}, {stateful.added_links} from docmock's entities"
                     + (f"; {stateful.note}" if stateful.note else ""))
    if stateful is not None and stateful.entities_error:
        lines.append(f"note: docmock could not infer the spec's entities, so it linked no operations: "
                     f"{stateful.entities_error}")
    tested = sum(1 for op in result.operations if op.requests)
    verdict = ("all checks passed" if result.passed else
               f"{_count(result.failures, 'failure')} in {_count(len(failing), 'operation')}")
    lines.append(f"{tested} of {_count(len(result.operations), 'operation')} tested with "
                 f"{_count(result.requests, 'request')} ({sequences}) in {result.seconds:.1f}s: {verdict}")
    if result.budget_spent:
        lines.append("The time budget ran out: what ran is reported above.")
    lines.append(f"Seed {result.seed}: add --seed {result.seed} to send the same requests again.")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def junit_xml(result: VerifyResult) -> str:
    """JUnit XML for CI: one testcase per operation, one failure element listing its findings with curls."""
    suite = ET.Element("testsuite", {
        "name": "docmock verify", "tests": str(len(result.operations)),
        "failures": str(sum(1 for op in result.operations if op.findings)),
        "errors": str(sum(1 for op in result.operations if op.error is not None)),
        "skipped": str(sum(1 for op in result.operations if op.not_run)),
        "time": f"{result.seconds:.3f}"})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("target", result.target), ("seed", str(result.seed)), ("requests", str(result.requests))):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for op in result.operations:
        case = ET.SubElement(suite, "testcase", {
            "classname": "docmock.verify", "name": f"{op.name} ({op.label})" if op.operation_id else op.label,
            "time": f"{op.seconds:.3f}"})
        if op.error is not None:
            ET.SubElement(case, "error", {"message": op.error, "type": "error"}).text = op.error
        if op.findings:
            checks = sorted({f.check for f in op.findings})
            failure = ET.SubElement(case, "failure", {
                "message": f"{_count(len(op.findings), 'failure')}: "
                           + "; ".join(f"{f.check}: {f.title}" for f in op.findings),
                "type": ", ".join(checks)})
            failure.text = "\n\n".join(_finding_text(number, f) for number, f in enumerate(op.findings, 1))
        if op.not_run:
            ET.SubElement(case, "skipped", {"message": op.not_run})
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _finding_text(number: int, finding: Finding) -> str:
    head = f"{number}. {finding.check}: {finding.title} ({finding.occurrences} time{'s' * (finding.occurrences > 1)}"
    head += ", in a sequence)" if finding.stateful else ")"
    return "\n".join([head, finding.details or finding.message, "reproduce:", *finding.reproduce])

