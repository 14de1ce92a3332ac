"""Checks and storage for uploaded files, shared by every app: real PDFs, size caps, content-hash names."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from pypdf import PdfReader

MB = 1024 * 1024
REPORT_MAX_BYTES = 20 * MB
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class StoredFile:
    name: str  # the storage name, e.g. "reports/ab/abcdef....pdf"
    sha256: str
    size: int
    original_name: str


def check_size(upload: UploadedFile[bytes], *, max_bytes: int, what: str) -> None:
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            f"The {what} is {upload.size / MB:.1f} MB; the limit is {max_bytes // MB} MB.", code="too_large"
        )
    if upload.size == 0:
        raise ValidationError(f"The {what} is empty.", code="empty")


def check_pdf(upload: UploadedFile[bytes], *, max_bytes: int = REPORT_MAX_BYTES, what: str = "report") -> int:
    """Refuse anything that is not a readable PDF, whatever its name or content type says. Returns the page count."""
    check_size(upload, max_bytes=max_bytes, what=what)
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" not in head:
        raise ValidationError(f"The {what} is not a PDF file (export it as PDF and upload that).", code="not_pdf")
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise ValidationError(f"The {what} is password-protected; upload it without a password.", code="encrypted")
        pages = len(reader.pages)
        if pages == 0:
            raise ValidationError(f"The {what} has no pages.", code="no_pages")
        reader.pages[0].extract_text()  # proves the first page can be read
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 (a hostile file may break the parser in any way; refuse it)
        raise ValidationError(
            f"The {what} could not be read as a PDF ({type(exc).__name__}). Export it again as PDF.", code="bad_pdf"
        ) from exc
    finally:
        upload.seek(0)
    return pages


def sha256_of(upload: File[bytes]) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(MB), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def store_by_hash(upload: File[bytes], *, folder: str, extension: str) -> StoredFile:
    """Save through the storage API under a name derived from the content; an identical file is stored once."""
    sha = sha256_of(upload)
    name = f"{folder}/{sha[:2]}/{sha}{extension}"
    if not default_storage.exists(name):
        upload.seek(0)
        saved = default_storage.save(name, upload)
        name = saved
    size = upload.size if upload.size is not None else default_storage.size(name)
    original = os.path.basename(getattr(upload, "name", "") or "")
    return StoredFile(name=name, sha256=sha, size=size, original_name=original)


def minimal_pdf(text: str = "Report") -> bytes:
    """A small valid one-page PDF (used by the demo course and tests)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET".encode("latin-1", "replace"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
