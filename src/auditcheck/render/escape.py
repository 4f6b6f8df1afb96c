"""Text from records, rule files and file names, made safe for each kind of output.

Records may hold line breaks; file names may hold anything a file system
allows. None of it may break a line-oriented output (a terminal, a CI log, a
workflow command), make XML unreadable, or turn into live Markdown.

A CI runner reads every line a job prints: GitHub's takes a line for a workflow
command when it starts with ``::`` once leading white space (U+3000 too) is
trimmed, and Azure's and GitHub's legacy syntax ``##[command]`` anywhere in a line.
"""

from __future__ import annotations

import html
import re

# Control characters, C1 controls, line and paragraph separators, bidirectional
# overrides and isolates (which reorder what a reader sees), non-characters, and
# lone surrogates (file names that are not UTF-8), each shown as an escape.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What XML 1.0 does not allow anywhere in a document (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters that start links, images, emphasis, code and tables, and the marks that make
# text an autolink (``https://``, ``www.``); figures like 57.81% stay as they are.
# Only marks that start syntax: with [ and ] escaped, ( ) and ! open no link or image, and a
# text read raw (项目(工程)) keeps its parentheses.
_MARKDOWN = re.compile(r"[\\`*_\[\]|~]|:(?=//)|(?<=www)\.", re.IGNORECASE)
# GFM links ``a@b.c`` whatever escapes its ``@``: a zero-width space before it (an entity,
# visible in the source) leaves no letter for the address to start with.
_BEFORE_AT = "&#8203;"


def _escape(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """One line of plain text: every character that is not shown as itself, escaped."""
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text)


def visible(text: str) -> str:
    """Like :func:`printable`, keeping line breaks (``\\n``) for outputs that encode them."""
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() == "\n" else _escape(m.group()), text)


def no_legacy_commands(text: str) -> str:
    """``##[`` broken up as ``##\\[``: a runner acts on ``##[error]`` anywhere in a line."""
    return text.replace("##[", "##\\[")


def log_line(text: str) -> str:
    """A line for a terminal or a CI log: printable, and never read as a workflow command.

    A line that would start with ``:`` after its leading white space starts with ``./``
    instead (a file name stays a name of the same file).
    """
    line = no_legacy_commands(printable(text))
    return "./" + line if line.lstrip().startswith(":") else line


def xml_text(text: str) -> str:
    """Text XML can hold: characters XML forbids (\\x01, \\x0b, U+FFFE) become escapes."""
    return _NOT_XML.sub(lambda m: _escape(m.group()), text)


def markdown_text(text: str) -> str:
    """Inline Markdown that shows ``text`` as written: one line, no link, image, HTML or emphasis.

    The marks that make links, images, emphasis and autolinks are backslash-escaped
    (``\\[``, ``https\\://``, ``www\\.``), ``&``, ``<`` and ``>`` become entities, and
    ``@`` follows a zero-width space (``a&#8203;@b.c``: no mail link).
    """
    flat = html.escape(printable(" ".join(str(text).split())), quote=False)
    return _MARKDOWN.sub(lambda m: "\\" + m.group(), flat).replace("@", _BEFORE_AT + "@")
