"""The hostile YAML corpus: each case is files added beside a good record, an exit code, a message.

``fragment`` must appear on stderr (None: no error expected). Every case also
checks that the good record in the same batch is still evaluated.
"""

from __future__ import annotations

from .harness import GOOD_RECORD, HEAD, Case


def laughs(levels: int = 8) -> str:
    lines = ['a0: &a0 ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


CASES = [
    # YAML
    Case("syntax-error", {"bad.yaml": HEAD + "budget: [100\nspent: 5\n"}, 2, "YAML syntax error"),
    Case(
        "tab-indent",
        {"bad.yaml": HEAD + "schedule:\n\tcompleted: true\n"},
        2,
        "tabs are not allowed",
    ),
    Case("duplicate-key", {"bad.yaml": HEAD + "budget: 1\nbudget: 2\n"}, 2, "duplicate key"),
    Case("billion-laughs", {"bad.yaml": laughs()}, 2, "alias expansion"),
    Case("deep-nesting", {"bad.yaml": "a: " + "[" * 100 + "]" * 100 + "\n"}, 2, "nested deeper"),
    Case(
        "very-deep-nesting",
        {"bad.yaml": "a: " + "[" * 20000 + "]" * 20000 + "\n"},
        2,
        "bad.yaml:1:",
    ),
    Case("multi-document", {"bad.yaml": HEAD + "---\nid: x\n"}, 2, "more than one YAML document"),
    Case("top-level-list", {"bad.yaml": "- id: x\n- id: y\n"}, 2, "expected a mapping"),
    Case("top-level-scalar", {"bad.yaml": "just text\n"}, 2, "expected a mapping"),
    Case("empty-file", {"bad.yaml": ""}, 2, "the file is empty"),
    Case("only-comments", {"bad.yaml": "# nothing here\n"}, 2, "the file is empty"),
    Case("binary-file", {"bad.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, 2, "binary data"),
    Case(
        "oversize",
        {"bad.yaml": HEAD + "# " + "x" * 4000 + "\n"},
        2,
        "over the",
        args=["--max-file-size", "0.003"],
    ),
    Case("folder-named-yaml", {"notes.yaml/": ""}, 2, "a folder, not a file"),
    Case(
        "merge-key", {"bad.yaml": HEAD + "base: &b {spent: 1}\nother:\n  <<: *b\n"}, 2, "merge keys"
    ),
    Case("complex-key", {"bad.yaml": HEAD + "? [a, b]\n: 1\n"}, 2, "a key must be a plain name"),
    Case(
        "python-tag",
        {"bad.yaml": HEAD + "note: !!python/object/apply:os.system ['echo x']\n"},
        2,
        "unsupported tag",
    ),
    Case("unknown-tag", {"bad.yaml": HEAD + "budget: !money 100\n"}, 2, "cannot read value"),
    # Encodings and line endings
    Case("utf8-bom", {"bom.yaml": "\ufeff" + HEAD.replace("bad-record", "bom-record")}, 0, None),
    Case("gbk", {"gbk.yaml": HEAD.replace("bad-record", "gbk-record").encode("gbk")}, 0, None),
    Case(
        "gb18030",
        {
            "gb.yaml": (HEAD.replace("bad-record", "gb-record") + "short_name: 𠀀项目\n").encode(
                "gb18030"
            )
        },
        0,
        None,
    ),
    Case("utf16", {"bad.yaml": HEAD.encode("utf-16")}, 2, "bad.yaml:1:1: UTF-16 text"),
    Case("undecodable", {"bad.yaml": b"id: \xff\xfe\xff\n"}, 2, "neither UTF-8 nor GBK"),
    Case(
        "crlf-mixed",
        {"crlf.yaml": HEAD.replace("bad-record", "crlf-record").replace("\n", "\r\n", 2)},
        0,
        None,
    ),
    Case(
        "cr-only", {"cr.yaml": HEAD.replace("bad-record", "cr-record").replace("\n", "\r")}, 0, None
    ),
    # Values
    Case("number-as-text", {"bad.yaml": HEAD + 'spent: "245.98"\n'}, 2, "plain number: 245.98"),
    Case(
        "percent-sign",
        {"bad.yaml": HEAD + 'stated_execution_rate: "57.81%"\n'},
        2,
        "plain number: 57.81 (the unit % is implied)",
    ),
    Case(
        "space-in-number", {"bad.yaml": HEAD + 'budget: "6223. 15"\n'}, 2, "plain number: 6223.15"
    ),
    Case(
        "full-width-digits",
        {"bad.yaml": HEAD + "budget: ２９６．２９\n"},
        2,
        "plain number: 296.29",
    ),
    Case("nan", {"bad.yaml": HEAD + "budget: .nan\n"}, 2, "NaN and infinity are not figures"),
    Case("infinity", {"bad.yaml": HEAD + "spent: .inf\n"}, 2, "NaN and infinity are not figures"),
    Case(
        "overflow",
        {"bad.yaml": HEAD + "spent: 1.0e+400\n"},
        2,
        "bad.yaml:5:8: spent: larger than 10^15",
    ),
    Case("overflow-as-text", {"bad.yaml": HEAD + "spent: 1.0e400\n"}, 2, "larger than 10^15"),
    Case(
        "python-scalar-tag",
        {"bad.yaml": HEAD + "note: !!python/name:os.system\n"},
        2,
        "cannot read",
    ),
    Case(
        "sum-would-overflow",
        {
            "bad.yaml": HEAD
            + "subitems:\n  - {name: 甲, budget: 1.0e+308}\n  - {name: 乙, budget: 1.0e+308}\n"
        },
        2,
        "larger than 10^15",
    ),
    Case("negative-amount", {"bad.yaml": HEAD + "budget: -5\n"}, 2, "greater than or equal to 0"),
    Case(
        "yuan-unit",
        {"bad.yaml": HEAD + "amount_unit: 元\nbudget: 2962900\n"},
        2,
        "amounts must be in 万元",
    ),
    Case(
        "yuan-text",
        {"bad.yaml": HEAD + 'budget: "2962900元"\n'},
        2,
        "amounts are in 万元: write 296.29",
    ),
    Case(
        "impossible-date",
        {"bad.yaml": HEAD + "schedule:\n  actual_start: 2023-02-30\n"},
        2,
        "day is out of range",
    ),
    Case(
        "satisfaction-over-100",
        {"bad.yaml": HEAD + "surveys:\n  - {subject: 群众, rate: 120}\n"},
        2,
        "less than or equal to 100",
    ),
    Case("bool-for-number", {"bad.yaml": HEAD + "spent: yes\n"}, 2, "valid number"),
    Case(
        "control-character",
        {"bad.yaml": HEAD.replace("问题项目", '"问题\\a项目"')},
        2,
        "control character U+0007",
    ),
    # Structure
    Case("typo-field", {"bad.yaml": HEAD + "spnet: 5\n"}, 2, "did you mean 'spent'"),
    Case(
        "missing-required",
        {"bad.yaml": "id: bad-record\ntype: 专项\nunits: [某单位]\n"},
        2,
        "name: required field is missing",
    ),
    Case("duplicate-id", {"dup.yaml": GOOD_RECORD.replace("对照项目", "重复")}, 2, "also used by"),
    Case(
        "bad-id", {"bad.yaml": HEAD.replace("bad-record", "Bad Record")}, 2, "should match pattern"
    ),
    Case(
        "unknown-topic",
        {"bad.yaml": HEAD + "observations:\n  - {topic: bad-vibes, evidence: x}\n"},
        2,
        "unknown topic 'bad-vibes'",
    ),
    Case("list-for-mapping", {"bad.yaml": HEAD + "schedule: [1, 2]\n"}, 2, "valid dictionary"),
    Case(
        "text-for-list",
        {"bad.yaml": HEAD.replace("units: [某单位]", "units: 某单位")},
        2,
        "valid list",
    ),
    Case("directory-named-yaml", {"folder.YAML/": ""}, 2, "a folder, not a file"),
    Case("symlink-loop", {"loop.yaml@": "loop.yaml"}, 2, "cannot read file"),
    Case("no-batch-file", {}, 2, "no batch.yaml", batch=None),
    Case("bad-batch-file", {}, 2, "fiscal_year", batch="region: 测试区\nfiscal_year: 二〇二三\n"),
    # Text that must come out escaped in every format
    Case(
        "markup-in-names",
        {
            "markup.yaml": HEAD.replace("bad-record", "markup-record").replace(
                "问题项目", '"<script>alert(\'x\')</script> & \\"引号\\"\\n换行"'
            )
            + "budget: 10\nspent: 1\n"
        },
        0,
        None,
    ),
]
