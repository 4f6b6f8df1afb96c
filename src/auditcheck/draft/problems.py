"""Section 三 (存在的问题及相关建议) and appendix 1, from the findings.

A rule's message is one sentence about one fact. A report says each fact once and
says it like a person: so under a heading one project's findings become one
example, sentences about the same subject share it (``A预算…，结余…``), the same
finding on several subjects lists them (``A、B建成后…``), a threshold is not
repeated after its first mention, a parenthesis that only repeats the sentence
is dropped, file locations stay in the traces, and a fact already stated under an
earlier heading is referred to there rather than stated again.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from auditcheck.draft.model import (
    SEVERITY_WORDS,
    CategoryPart,
    DimensionPart,
    Example,
    FindingRow,
    ProjectInfo,
)
from auditcheck.draft.prose import cn_number, distinct_units, join, join_and, range_label
from auditcheck.findings import Finding
from auditcheck.records.model import Project
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule
from auditcheck.templating import num
from auditcheck.vocabulary import KINDS, FactField

# Items a finding can be about, each with the words that name it in a message.
LISTED = {
    "targets": lambda t: f"“{t.indicator}”",
    "facilities": lambda f: f.name,
    "defects": lambda d: d.site,
    "planned_items": lambda p: p.name,
    "activities": lambda a: a.name,
    "observations": lambda o: o.subject or "",
}
# A parenthesis sharing this much of its wording with the sentence only repeats it:
# its two-character words, or (for the same words in another order) its characters.
REPEATS_WORDS, REPEATS_CHARS = 0.6, 0.7
_PATH_PART = re.compile(r"[^.\[\]]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# 15300.00万元 → 15300万元, 16800.00 × 100 → 16800 × 100, 100.00% → 100%, 93.60% → 93.6%:
# as a person types them (an amount keeps its two decimals otherwise: 1254.10万元).
_ZEROS = re.compile(r"(\d+)\.00(?!\d)")
_TRAILING_ZERO = re.compile(r"(\d+\.\d)0%")
# ``实际完成90%，完成率90%``: a completion rate equal to the figure before it (a 100% target).
_ECHOED_RATE = re.compile(r"完成率(\d+(?:\.\d+)?%)")
# ``共53个子项目``: a total, said once per record however many headings count its parts.
_TOTAL = re.compile(r"共\d+个(.+)")
_COUNT = re.compile(r"^(\d+个)")
# A predicate these start can take 均 after several subjects (``A和B均未开展``).
_SHARED = ("未", "尚未", "已", "不", "没有", "无")
# An owner's name the source's words repeat at their start: that many characters at least.
ECHO_CHARS = 3
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _bigrams(text: str) -> set[str]:
    chars = "".join(_CJK.findall(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def repeats(paren: str, sentence: str) -> bool:
    """True when a parenthesis says nothing the sentence does not."""
    words, chars = _bigrams(paren), set(_CJK.findall(paren))
    if not words:
        return False
    shared_words = len(words & _bigrams(sentence)) / len(words)
    shared_chars = len(chars & set(_CJK.findall(sentence))) / len(chars)
    return shared_words >= REPEATS_WORDS or shared_chars >= REPEATS_CHARS


def _numbers(text: str) -> set[str]:
    return {num(float(n)) for n in _NUMBER.findall(text)}


def _closing_paren(text: str) -> tuple[str, str] | None:
    """(sentence, parenthesis) when ``text`` ends with a balanced （…）."""
    if not text.endswith("）"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {"）": 1, "（": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i], text[i + 1 : -1]
    return None


def location_pattern(files: Iterable[str]) -> re.Pattern[str] | None:
    """What a message's ``file:line`` locations look like, for the files of this run: a
    parenthesis holding only locations (``（a.yaml:3 → b.yaml:4）``), or a location alone.
    The file names are known, so any name (spaces, brackets, any suffix) is matched exactly."""
    names = sorted({f for f in files if f}, key=len, reverse=True)
    if not names:
        return None
    loc = "(?:" + "|".join(map(re.escape, names)) + r"):\d+"
    return re.compile(rf"[（(]\s*{loc}(?:\s*[→、，,;；]\s*{loc})*\s*[）)]|{loc}")


def short_names(files: Iterable[str]) -> dict[str, str]:
    """Files as the appendix names them: relative to the folder they share (a batch's files
    by their names), so a row is not mostly path."""
    names = sorted(set(files))
    try:
        common = os.path.commonpath([os.path.dirname(f) or "." for f in names])
    except ValueError:  # absolute and relative paths mixed, or none
        return {}
    return {f: os.path.relpath(f, common) if common else f for f in names}


def clean_message(
    message: str, project: ProjectInfo, locations: re.Pattern[str] | None = None
) -> str:
    """A finding's message as a clause of the draft: no project name, no ``locations``,
    no parenthesis repeating the sentence, no rate echoing the figure before it, no
    closing 。."""
    text = message.strip().rstrip("。")
    for prefix in (project.project.name, project.short):
        if text.startswith(prefix):
            text = text[len(prefix) :].removeprefix("中的").removeprefix("的")
            break
    if locations is not None:
        text = locations.sub("", text).rstrip("。")
    text = _TRAILING_ZERO.sub(r"\1%", _ZEROS.sub(r"\1", text))
    clauses = text.split("，")
    text = "，".join(
        c
        for i, c in enumerate(clauses)
        if not (i and (m := _ECHOED_RATE.fullmatch(c)) and clauses[i - 1].endswith(m.group(1)))
    )
    split = _closing_paren(text)
    if split and repeats(split[1], split[0]):
        text = split[0]
    return text.rstrip("，。；")


def _path(finding: Finding) -> list[str | int]:
    """``subitems[0].targets[1].actual`` → ``["subitems", 0, "targets", 1, "actual"]``."""
    return [int(p) if p.isdigit() else p for p in _PATH_PART.findall(finding.field)]


def item_key(finding: Finding) -> str | None:
    """The listed item a finding is about (``facilities.1``, ``subitems.0.targets.1``)."""
    path = _path(finding)
    for i in range(len(path) - 2, -1, -1):
        if path[i] in LISTED and isinstance(path[i + 1], int):
            return ".".join(str(p) for p in path[: i + 2])  # a key, not shown
    return None


def labels(finding: Finding, project: Project) -> list[str]:
    """The words naming what a finding is about, outermost first (sub-item, then item)."""
    out: list[str] = []
    node: object = project
    path = _path(finding)
    for key, index in itertools.pairwise(path):
        if not isinstance(key, str) or not isinstance(index, int):
            continue
        items = getattr(node, key, None)
        if not isinstance(items, list) or index >= len(items):
            break
        node = items[index]
        name = LISTED[key](node) if key in LISTED else getattr(node, "name", "")
        if name:
            out.append(name)
    return out


def split_subject(text: str, names: list[str]) -> tuple[str, str]:
    """(subject, predicate): the subject runs to the end of the innermost name found."""
    for name in reversed(names):
        at = text.find(name)
        if at >= 0:
            end = at + len(name)
            return text[:end], text[end:]
    return "", text


def fact_key(finding: Finding) -> str:
    """The fact a finding is about: a listed item, else the sub-item or project it belongs to."""
    key = item_key(finding)
    if key is not None:
        return key
    path = _path(finding)
    last = max((i for i, p in enumerate(path) if isinstance(p, int)), default=-1)
    return ".".join(str(p) for p in path[: last + 1])


@dataclass
class _Said:
    """Where a listed item was first stated, and the figures stated about it there."""

    label: str  # the example, 三（一）3（2）
    heading: str  # its heading, 三（一）3
    numbers: set[str]


@dataclass
class _Subject:
    """What one example says about one fact: its subject and the predicates of its findings."""

    subject: str
    name: str  # the innermost name in the subject (``“指标”``), or ""
    owner: str  # the sub-item the fact belongs to, named at the subject's start, or ""
    predicates: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        """The subject's words before its innermost name (``计划实施的``)."""
        return self.subject[: len(self.subject) - len(self.name)]


# A clause comparing a figure with a threshold: said once under a heading.
_LIMIT = re.compile(r"^(?:低于|高于|超过|不足|少于|多于|未达到?)")


@dataclass
class _Writer:
    """Writes examples in reading order, remembering what was said where."""

    rulebook: Rulebook
    locations: re.Pattern[str] | None = None
    said: dict[tuple[str, str], _Said] = field(default_factory=dict)
    totals: dict[tuple[str, str], str] = field(default_factory=dict)  # fact → heading

    def example(
        self,
        label: str,
        heading: str,
        info: ProjectInfo,
        findings: list[Finding],
        written: set[str],
    ) -> str:
        """One project's findings under one heading as one example; ``written`` holds the
        clauses already written under this heading."""
        facts: dict[tuple[str, str], _Subject] = {}
        for f in findings:
            text = clean_message(f.message, info, self.locations)
            names = labels(f, info.project)
            subject, predicate = split_subject(text, names)
            predicate = self._total_once(f, heading, predicate)
            key = item_key(f)
            earlier = self.said.get((f.record, key)) if key else None
            if earlier is not None and earlier.heading != heading:
                predicate = self._reference(f, predicate, earlier)
            elif key:
                self.said.setdefault((f.record, key), _Said(label, heading, _numbers(text)))
            predicate = _drop_repeated_limits(f, predicate, written)
            name = next((n for n in reversed(names) if subject.endswith(n)), "")
            owner = names[0] if names and _path(f)[0] == "subitems" else ""
            entry = facts.setdefault((subject, fact_key(f)), _Subject(subject, name, owner))
            predicate = _not_given_again(predicate, entry.predicates)
            if predicate:
                entry.predicates.append(predicate)
        return f"{info.short}：{_sentences(list(facts.values()))}"

    def _total_once(self, f: Finding, heading: str, predicate: str) -> str:
        """A total (``共53个子项目``) said under an earlier heading is left out; its noun
        moves to the count after it (``4个子项目仍在建设``)."""
        clauses = predicate.split("，")
        if not clauses or not (total := _TOTAL.fullmatch(clauses[0])):
            return predicate
        said = self.totals.setdefault((f.record, fact_key(f)), heading)
        if said == heading or len(clauses) < 2:
            return predicate
        rest = clauses[1:]
        rest[0] = _COUNT.sub(rf"\g<1>{total.group(1)}", rest[0], count=1)
        return "，".join(rest)

    def _reference(self, f: Finding, predicate: str, earlier: _Said) -> str:
        """What is new about an item already stated under another heading, and where."""
        kept = [
            c
            for c in predicate.split("，")
            if c and not (_numbers(c) and _numbers(c) <= earlier.numbers)
        ]
        rule = self.rulebook.rule(f.rule)
        text = "，".join(kept) if kept else (rule.rule.summary if rule else "")
        return f"{text}（另见{earlier.label}）"


def _not_given_again(predicate: str, earlier: list[str]) -> str:
    """The clauses of ``predicate`` that earlier findings on the same fact did not give: not
    the same words, nor an amount (万元) already stated (``调整为3.36万元``, ``追加3.36万元``)."""
    given = {c for p in earlier for c in p.split("，")}
    amounts = set().union(*(_numbers(c) for c in given if "万元" in c))
    return "，".join(
        c
        for c in predicate.split("，")
        if c not in given and not ("万元" in c and _numbers(c) and _numbers(c) <= amounts)
    )


def _drop_repeated_limits(f: Finding, predicate: str, written: set[str]) -> str:
    """A clause naming a rule's threshold (``低于90%``) is said once under a heading."""
    limits = {num(v) for k, v in f.evidence.items() if k.startswith("param.") and _is_number(v)}
    clauses = []
    for clause in predicate.split("，"):
        if clause in written and _LIMIT.match(clause) and _numbers(clause) & limits:
            continue
        written.add(clause)
        clauses.append(clause)
    return "，".join(clauses)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _subjects(named: list[_Subject], predicate: str) -> tuple[str, str]:
    """Several subjects with one predicate: their common words said once
    (``计划实施的A和B``), and 均 before a predicate that takes it."""
    if len({n.prefix for n in named}) == 1 and all(n.name for n in named):
        subject = named[0].prefix + join_and([n.name for n in named])
    else:
        subject = join_and([n.subject for n in named])
    return subject, ("均" + predicate if predicate.startswith(_SHARED) else predicate)


def _predicates(predicates: list[str]) -> str:
    """One subject's predicates: a finding that names the same figure again (``预算执行率写作…``,
    ``预算执行率两处…``) or a part of the subject (``的年度指标值…``) starts a clause of its own
    after ；, the others run on after ，."""
    text = predicates[0] if predicates else ""
    for predicate in predicates[1:]:
        if predicate.startswith("的"):  # ``“指标”的年度指标值…``: its subject is said again as 其
            text += "；其" + predicate[1:]
        else:
            echo = predicate[:ECHO_CHARS] == predicates[0][:ECHO_CHARS]
            text += ("；" if echo else "，") + predicate
    return text


def _echoes(owner: str, predicate: str) -> bool:
    """True when the source's words start by naming the owner again in their own words
    (``…老旧小区改造项目`` + ``老旧小区改造工程竣工验收…``)."""
    return len(predicate) >= ECHO_CHARS and predicate[:ECHO_CHARS] in owner


def _sentences(facts: list[_Subject]) -> str:
    """Subjects with the same predicate are listed together; a sub-item named by the
    sentence before, or by the source's words after it, is not named again; sentences
    join with ；."""
    by_predicate: dict[str, list[_Subject]] = {}
    for fact in facts:
        by_predicate.setdefault(_predicates(fact.predicates), []).append(fact)
    by_predicate = _respectively(by_predicate)
    sentences = []
    previous = ""
    for predicate, named in by_predicate.items():
        owner = named[0].owner if len(named) == 1 else ""
        if len(named) > 1 and all(n.subject for n in named):
            subject, predicate = _subjects(named, predicate)
        else:
            subject = named[0].subject
        named_before = owner == previous or (subject == owner and _echoes(owner, predicate))
        if owner and subject.startswith(owner) and named_before:
            subject = subject[len(owner) :]
        previous = owner
        sentences.append(subject + predicate)
    return "；".join(sentences) + "。"


# A predicate's first clause quoting one value after its verb (``的实际完成值写作“≥266米”``).
_QUOTED = re.compile(r"^(.*?)(写作|为)“([^“”]*)”([^“”，]*)$")


def _respectively(by_predicate: dict[str, list[_Subject]]) -> dict[str, list[_Subject]]:
    """Named subjects whose predicates differ only in the value their first clause quotes are
    said once: ``“A”和“B”的实际完成值分别写作“≥266米”、“≥50厘米”，均与…``."""
    # (words before the verb, verb, words after the value, the other clauses) → groups
    merged: dict[tuple[str, ...], list[tuple[str, str, list[_Subject]]]] = {}
    for predicate, named in by_predicate.items():
        head, _, tail = predicate.partition("，")
        quoted = _QUOTED.match(head)
        key = (*quoted.group(1, 2, 4), tail) if quoted and tail else (predicate,)
        value = quoted.group(3) if quoted else ""
        merged.setdefault(key, []).append((predicate, value, named))
    out: dict[str, list[_Subject]] = {}
    for key, groups in merged.items():
        subjects = [n for _, _, named in groups for n in named]
        if len(groups) == 1 or not all(n.name for n in subjects):
            out.update((predicate, named) for predicate, _, named in groups)
            continue
        before, verb, after, tail = key
        values = "、".join(f"“{value}”" for _, value, named in groups for _ in named)
        shared = tail if tail.startswith("均") else "均" + tail
        out[f"{before}分别{verb}{values}{after}，{shared}"] = subjects
    return out


def _fact(f: Finding, rule: CompiledRule | None, project: Project) -> tuple[str, object]:
    """The kind of fact a finding is on and its item in the record (the item of a
    cross-check is not in the record: None)."""
    applies = rule.rule.applies_to if rule else []
    if applies == ["crosscheck"]:
        return "crosscheck", None
    kind, node = "project", project
    for key, index in itertools.pairwise(_path(f)):
        if isinstance(key, str) and isinstance(index, int) and key in KINDS[kind].lists:
            kind, node = KINDS[kind].lists[key], getattr(node, key)[index]
    return kind, node


def _stated(spec: FactField, item: object, value: object) -> bool:
    """True when a computed field took the source's own figure (``stated_*``): a rate the
    source states where the amounts it follows from are not given."""
    if item is None:
        return False
    path = spec.where(item)
    if not any(str(key).startswith("stated_") for key in path):
        return False
    for key in path:
        item = item[key] if isinstance(key, int) else getattr(item, key, None)  # type: ignore[index]
    return item == value


def _basis(f: Finding, rule: CompiledRule | None, project: Project) -> str:
    """Whether a finding rests on figures the source states, or on figures computed from them
    (the vocabulary declares which fields are computed)."""
    kind, item = _fact(f, rule, project)
    computed = []
    for name, value in f.evidence.items():
        spec = KINDS[kind].fields.get(name)
        if spec is None or not spec.computed or value is None or _stated(spec, item, value):
            continue
        computed.append(re.split(r"[=：；（]", spec.doc, maxsplit=1)[0].strip())
    return f"据资料数据计算（{join(computed)}）" if computed else "资料所述"


def _ordered(findings: Iterable[Finding], rulebook: Rulebook) -> list[Finding]:
    rank = {r.id: i for i, r in enumerate(rulebook.all_rules or rulebook.rules)}
    return sorted(findings, key=lambda f: (f.line, rank.get(f.rule, len(rank)), f.col))


def problem_parts(
    findings: list[Finding],
    projects: list[ProjectInfo],
    rulebook: Rulebook,
    with_consistency: bool,
) -> tuple[list[DimensionPart], list[FindingRow]]:
    """Section 三 and the rows of appendix 1, in the table's project order."""
    by_id = {p.id: p for p in projects}
    files = [f.file for f in findings] + [file for p in projects for file in p.files]
    shown = short_names(files)
    writer = _Writer(rulebook, location_pattern(files))
    parts: list[DimensionPart] = []
    rows: list[FindingRow] = []
    for dim_id, dim in rulebook.dimensions.items():
        if dim_id == "consistency" and not with_consistency:
            continue
        dim_no = cn_number(len(parts) + 1)
        categories: list[CategoryPart] = []
        for cat in rulebook.categories.values():
            mine = [f for f in findings if f.category == cat.id and f.record in by_id]
            if cat.dimension != dim_id or not mine:
                continue
            cat_label = f"三（{dim_no}）{len(categories) + 1}"
            written: set[str] = set()
            examples = []
            for info in projects:
                own = _ordered((f for f in mine if f.record == info.id), rulebook)
                if not own:
                    continue
                label = f"{cat_label}（{len(examples) + 1}）"
                text = writer.example(label, cat_label, info, own, written)
                examples.append(Example(label, info.id, text, own))
            numbers = list(range(1, len(examples) + 1))
            units = join(distinct_units(u for e in examples for u in by_id[e.project].units))
            tie = (
                f"本条建议针对上述{range_label(numbers)}问题，由{units}对照落实。" if units else ""
            )
            categories.append(
                CategoryPart(
                    cat_label,
                    len(categories) + 1,
                    cat.title,
                    cat.lead,
                    examples,
                    cat.suggestion + tie,
                )
            )
            for e in examples:
                for f in e.findings:
                    rule = rulebook.rule(f.rule)
                    rows.append(
                        FindingRow(
                            e.project,
                            by_id[e.project].short,
                            e.label,
                            cat.title,
                            dim.title,
                            rule.rule.summary if rule else f.rule,
                            f.rule,
                            SEVERITY_WORDS.get(f.severity, f.severity),
                            f"{shown.get(f.file, f.file)}:{f.place or f.line}",
                            _basis(f, rule, by_id[e.project].project),
                            f.fingerprint,
                        )
                    )
        if categories:
            parts.append(DimensionPart(f"（{dim_no}）{dim.section}", categories))
    order = {p.id: i for i, p in enumerate(projects)}
    rows.sort(key=lambda r: order[r.project])  # stable: reading order within a project
    return parts, rows


def problems_intro(parts: list[DimensionPart], projects: int) -> str:
    """The paragraph that opens section 三."""
    if not parts:
        return "本次评价未发现需要列出的问题。"
    names = [p.title.split("）", 1)[1].removesuffix("分析") for p in parts]
    with_problems = len({e.project for p in parts for c in p.categories for e in c.examples})
    if projects == 1:
        found = ""
    else:
        found = "均" if with_problems == projects else f"中有{with_problems}个项目"
    return (
        f"本次评价的{projects}个项目{found}存在需要改进的问题。"
        f"以下从{join_and(names)}{len(names)}个方面逐项列出，并提出改进建议。"
    )
