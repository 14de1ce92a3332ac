"""A code file as numbered lines (highlighted by pygments, which escapes the text) with inline comments in place."""

import copy
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer

from assignments.codeview import source_of
from assignments.models import Submission

from .models import InlineComment


@dataclass
class CodeLine:
    number: int
    html: SafeString
    comments: list[InlineComment] = field(default_factory=list)


@dataclass
class CodeFile:
    path: str
    notice: str = ""
    lines: list[CodeLine] = field(default_factory=list)


def code_file(submission: Submission, path: str, comments: list[InlineComment]) -> CodeFile:
    source = source_of(submission, path)
    if source.notice:
        return CodeFile(path=path, notice=source.notice)
    lexer = copy.copy(source.lexer or TextLexer())
    lexer.stripnl = lexer.stripall = False  # line numbers must be the file's own
    # With nowrap, pygments closes every span at the end of its line, so each line is well-formed HTML on its own.
    html = str(highlight(source.text, lexer, HtmlFormatter(nowrap=True)))
    texts = html.split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    lines = [CodeLine(n, mark_safe(t)) for n, t in enumerate(texts, 1)]  # noqa: S308 (pygments escaped it)
    for comment in comments:
        if comment.file == path and comment.line and 1 <= comment.line <= len(lines):
            lines[comment.line - 1].comments.append(comment)
    return CodeFile(path=path, lines=lines)
