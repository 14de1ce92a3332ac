"""Checks of students' code uploads and packing loose files into one zip, reading everything in chunks."""

from __future__ import annotations

import tempfile
import unicodedata
import zipfile
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile

from coursesite.uploads import MB, check_size
from workers.archives import SUBMISSION_MAX_FILES, SUBMISSION_MAX_UNPACKED, SYMLINK, UNSAFE_PATH, member_problem

CODE_MAX_BYTES = 50 * MB
ZIP_MAX_ENTRIES = SUBMISSION_MAX_FILES  # the judge unpacks with the same limits (workers.judge.local)
ZIP_MAX_UNCOMPRESSED = SUBMISSION_MAX_UNPACKED
LOOSE_EXTENSIONS = (".py", ".ipynb")
# Fixed timestamps inside packed archives, so the same files always give the same archive (and content hash).
_PACKED_DATE = (1980, 1, 1, 0, 0, 0)


def _is_zip(upload: UploadedFile[Any]) -> bool:
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    return bool(head == b"PK\x03\x04" or head == b"PK\x05\x06")


def check_zip(upload: File[Any], *, what: str = "code archive") -> list[str]:
    """Refuse archives that could escape or flood the directory they are unpacked into. Returns the file names."""
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(f"The {what} is not a valid zip file.", code="bad_zip") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > ZIP_MAX_ENTRIES:
            raise ValidationError(
                f"The {what} holds {len(infos)} entries; the limit is {ZIP_MAX_ENTRIES}.", code="zip_entries"
            )
        total = 0
        names = []
        for info in infos:
            problem = member_problem(info)
            if problem == UNSAFE_PATH:
                raise ValidationError(
                    f"The {what} contains {info.filename!r}, a path that points outside the archive "
                    "(absolute or with '..'). Zip the folder from inside it.",
                    code="zip_path",
                )
            if problem == SYMLINK:
                raise ValidationError(
                    f"The {what} contains a symbolic link ({info.filename}); put the real file in instead.",
                    code="zip_symlink",
                )
            total += info.file_size
            if not info.is_dir():
                names.append(info.filename)
        if total > ZIP_MAX_UNCOMPRESSED:
            raise ValidationError(
                f"The {what} unpacks to {total / MB:.0f} MB; the limit is {ZIP_MAX_UNCOMPRESSED // MB} MB.",
                code="zip_too_big",
            )
        if not names:
            raise ValidationError(f"The {what} contains no files.", code="zip_empty")
    upload.seek(0)
    return names


def pack_code(uploads: Sequence[UploadedFile[Any]]) -> File[Any]:
    """One zip archive for the student's code: an uploaded zip (checked) as is, or loose .py/.ipynb files packed.

    The result is a Django File on a temporary file, named code.zip; the caller stores and closes it.
    """
    if not uploads:
        raise ValidationError("Choose your code: a zip archive, or one or more .py / .ipynb files.", code="no_code")
    total = sum(upload.size or 0 for upload in uploads)
    if total > CODE_MAX_BYTES:
        raise ValidationError(
            f"The code is {total / MB:.1f} MB; the limit is {CODE_MAX_BYTES // MB} MB.", code="too_large"
        )
    if (len(uploads) == 1 and (uploads[0].name or "").lower().endswith(".zip")) or any(_is_zip(u) for u in uploads):
        if len(uploads) > 1:
            raise ValidationError("Upload either one zip archive or loose .py / .ipynb files, not both.", code="mixed")
        upload = uploads[0]
        check_size(upload, max_bytes=CODE_MAX_BYTES, what="code archive")
        check_zip(upload)
        return upload
    seen: set[str] = set()
    for upload in uploads:
        name = unicodedata.normalize("NFC", (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1])
        if not name.lower().endswith(LOOSE_EXTENSIONS):
            raise ValidationError(
                f"{name or 'A file'} is not a .py or .ipynb file; upload code files or one zip archive.",
                code="bad_extension",
            )
        check_size(upload, max_bytes=CODE_MAX_BYTES, what=f"file {name}")
        if name in seen:
            raise ValidationError(f"Two files are called {name}; rename one of them.", code="duplicate")
        seen.add(name)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller through the returned File)
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for upload in sorted(uploads, key=lambda u: u.name or ""):
            name = unicodedata.normalize("NFC", (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1])
            info = zipfile.ZipInfo(name, date_time=_PACKED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            upload.seek(0)
            with archive.open(info, "w") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
    handle.seek(0)
    return File(handle, name="code.zip")
