"""The files of a submission's code archive as a listing and as highlighted text (for the review and rubric pages)."""

import json
import zipfile
from dataclasses import dataclass
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import PythonLexer, TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from coursesite.errors import NotFound

from .models import Submission

SHOWN_MAX_BYTES = 512 * 1024  # larger files are offered for download, not highlighted


@dataclass(frozen=True)
class Source:
    """One file's text as shown (a notebook flattened to its cells) and its lexer; or a notice why it is not shown."""

    text: str = ""
    lexer: Lexer | None = None
    notice: str = ""


def code_files(submission: Submission) -> list[dict[str, Any]]:
    """The archive's files as a tree listing: path, depth, size."""
    try:
        with submission.code.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            infos = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
            return [
                {
                    "path": i.filename,
                    "name": i.filename.rsplit("/", 1)[-1],
                    "depth": i.filename.count("/"),
                    "folder": i.filename.rsplit("/", 1)[0] + "/" if "/" in i.filename else "",
                    "size": i.file_size,
                }
                for i in infos
            ]
    except (OSError, zipfile.BadZipFile):
        return []


def source_of(submission: Submission, path: str) -> Source:
    """The text of one file of the archive as the pages show it (404 for a name not in the archive)."""
    with submission.code.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        try:
            info = archive.getinfo(path)
        except KeyError as exc:
            raise NotFound("No such file in the submission.") from exc
        if info.file_size > SHOWN_MAX_BYTES:
            return Source(notice="This file is too large to show here; download the code instead.")
        data = archive.read(info)
    text = data.decode("utf-8", errors="replace")
    lexer: Lexer = TextLexer()
    if path.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
            text = "\n\n".join(
                f"# In[{n}] ({cell.get('cell_type')})\n" + "".join(cell.get("source", []))
                for n, cell in enumerate(cells, 1)
                if cell.get("cell_type") in ("code", "markdown")
            )
            lexer = PythonLexer()
        except (ValueError, AttributeError, TypeError):
            lexer = TextLexer()
    else:
        try:
            lexer = get_lexer_for_filename(path, stripnl=False)
        except ClassNotFound:
            lexer = TextLexer()
    if b"\x00" in data[:1024] and not path.endswith(".ipynb"):
        return Source(notice="A binary file; download the code to look at it.")
    return Source(text=text, lexer=lexer)


def highlighted(submission: Submission, path: str) -> str:
    """One file of the archive as highlighted HTML (pygments escapes the content)."""
    source = source_of(submission, path)
    if source.notice:
        return f'<p class="muted">{source.notice}</p>'
    lexer = source.lexer or TextLexer()
    return str(highlight(source.text, lexer, HtmlFormatter(linenos="table", cssclass="highlight")))


def pygments_css() -> str:
    """The stylesheet of the highlighted code (pygments has no type hints: its result is read as text)."""
    formatter: Any = HtmlFormatter(cssclass="highlight")
    return str(formatter.get_style_defs(".highlight"))


def default_file(files: list[dict[str, Any]]) -> str:
    for f in files:
        if f["path"].endswith((".py", ".ipynb")):
            return str(f["path"])
    return str(files[0]["path"]) if files else ""
