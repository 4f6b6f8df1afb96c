"""A page per rule (docs/rules/<id>.md), after ruff's rule pages, and an index of them.

Each page says what the rule checks, why it matters, where it comes from (its
依据), its parameters with their sources, its condition, and its examples with
the finding each must-fire example gives (field and message, as ``rules test``
checks them). Pages are generated from the rulebook, so a test can tell when the
committed pages drift from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditcheck.check import Checker
from auditcheck.examples import EXPECT, example_record
from auditcheck.render.markdown import cell
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import DOC_PARTS, CompiledRule
from auditcheck.templating import environment

INDEX = "README.md"
MARK = "<!-- auditcheck rules docs: generated from the rule files; edit those, not this page -->"


@dataclass
class Example:
    """An example as a page shows it: the fragment, and the findings it gives."""

    fragment: str
    findings: list[tuple[str, str]]  # (field, message)


def _fragment(data: dict[str, Any]) -> str:
    shown = {k: v for k, v in data.items() if k != EXPECT}
    return yaml.safe_dump(shown, allow_unicode=True, sort_keys=False, width=90).rstrip()


def _shown_file(rule: CompiledRule) -> str:
    # As the repository names it, whichever folder the rules were loaded from.
    return f"rules/{Path(rule.file).name}"


def _examples(checker: Checker, rule: CompiledRule, kind: str) -> list[Example]:
    out = []
    for fragment in getattr(rule.rule.examples, kind):
        findings = checker.check(example_record(fragment, _shown_file(rule))).findings
        mine = [(f.field, f.message) for f in findings if f.rule == rule.id]
        out.append(Example(_fragment(fragment), mine))
    return out


def pages(rulebook: Rulebook) -> dict[str, str]:
    """File name → text: a page per rule in force, and the index (with default parameters)."""
    checker = Checker(rulebook)
    env = environment().overlay()
    env.filters.update(cell=cell)
    template = env.get_template("rule_page.md.j2")
    out = {}
    for rule in rulebook.rules:
        context = {
            "rule": rule,
            "parts": rule.rule.doc_parts(),
            "part_names": DOC_PARTS,
            "tags": rulebook.tags,
            "file": _shown_file(rule),
            "fire": _examples(checker, rule, "fire"),
            "quiet": _examples(checker, rule, "quiet"),
            "mark": MARK,
        }
        out[f"{rule.id}.md"] = template.render(context).rstrip() + "\n"
    index = env.get_template("rule_index.md.j2")
    out[INDEX] = index.render(rulebook=rulebook, mark=MARK).rstrip() + "\n"
    return out


def differences(rulebook: Rulebook, folder: Path) -> list[str]:
    """The pages in ``folder`` that are missing, differ, or are generated for no rule."""
    wanted = pages(rulebook)
    found = {p.name for p in folder.glob("*.md")} if folder.is_dir() else set()
    stale = [n for n in sorted(found - set(wanted)) if MARK in (folder / n).read_text("utf-8")]
    changed = [n for n, text in wanted.items() if not _same(folder / n, text)]
    return sorted(changed + stale)


def _same(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text("utf-8") == text


def write_pages(rulebook: Rulebook, folder: Path) -> list[str]:
    """Write every page that differs and remove generated pages of rules that are gone."""
    wanted = pages(rulebook)
    changed = differences(rulebook, folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in changed:
        if name in wanted:
            (folder / name).write_text(wanted[name], encoding="utf-8")
        else:
            (folder / name).unlink()
    return changed
