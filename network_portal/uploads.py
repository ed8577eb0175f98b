"""Uploaded files: checked, stored privately, served back as attachments.

Staff (resources, meeting papers) and members (case-study attachments) upload
files that other people then download, so every upload is treated as hostile:

- Only PDF, DOCX, PPTX, XLSX, ODT, PNG and JPEG are accepted, and the content
  must match the extension (magic bytes and structure), so HTML renamed to
  .pdf or a PNG carrying HTML is refused.
- The user's filename is never used on disk. Files live under generated names
  in PRIVATE_STORAGE_ROOT, outside anything the web server publishes; the
  cleaned original name is kept only as the download name.
- Downloads go through download_response(), always as an attachment with
  nosniff and a Content-Type taken from the allowlist, never from the upload.

Usage:
    checked = validate_upload(upload)          # raises UploadRejected
    stored = store_upload(upload, folder="papers")
    obj.file_key, obj.file_name = stored.key, stored.display_name
    ...
    return download_response(key=obj.file_key, display_name=obj.file_name)
"""

import os
import re
import struct
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.template.defaultfilters import filesizeformat

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_NAME_LENGTH = 150
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str


FILE_TYPES = {
    "pdf": FileType("PDF", "application/pdf"),
    "docx": FileType("Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pptx": FileType(
        "PowerPoint presentation", "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    "xlsx": FileType("Excel spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": FileType("OpenDocument text", "application/vnd.oasis.opendocument.text"),
    "png": FileType("PNG image", "image/png"),
    "jpg": FileType("JPEG image", "image/jpeg"),
    "jpeg": FileType("JPEG image", "image/jpeg"),
}
ALLOWED_EXTENSIONS = tuple(FILE_TYPES)
# For <input accept="...">: a hint to the browser only; the server decides.
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)

# Markup a browser would render or run. None of these occur in the raw bytes
# of a genuine file of the allowed types (office formats are compressed).
_MARKUP = re.compile(rb"<\s*(?:html|script|body|iframe|object|embed|svg|!doctype\s+html)[\s>/]", re.IGNORECASE)
_MARKUP_OVERLAP = 32

# Which part each zip-based format must contain.
_OOXML_PARTS = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "xlsx": "xl/workbook.xml"}
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}/[0-9a-f]{32}\.(?:" + "|".join(ALLOWED_EXTENSIONS) + r")$")


class UploadRejected(ValidationError):
    """A ValidationError, so a form's clean_<field>() can let it propagate."""

    def __init__(self, message: str):
        super().__init__(message, code="upload_rejected")


@dataclass(frozen=True)
class CheckedUpload:
    display_name: str
    extension: str
    size: int

    @property
    def content_type(self) -> str:
        return FILE_TYPES[self.extension].content_type


@dataclass(frozen=True)
class StoredFile:
    key: str  # e.g. "resources/3f2a...e1.pdf", relative to the storage root
    display_name: str
    size: int
    content_type: str


def max_upload_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def storage_root() -> Path:
    return Path(getattr(settings, "PRIVATE_STORAGE_ROOT", Path(settings.BASE_DIR) / "var" / "private"))


def allowed_types_text() -> str:
    return "PDF, Word (DOCX), PowerPoint (PPTX), Excel (XLSX), OpenDocument text (ODT), PNG or JPEG"


# --- Checking ---------------------------------------------------------------


def validate_upload(upload) -> CheckedUpload:
    """Check name, size, extension and content. Raises UploadRejected."""
    name = check_filename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_TYPES:
        raise UploadRejected(f"“{name}” is not an accepted type. Upload a {allowed_types_text()} file.")
    size = upload.size
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    if size == 0:
        raise UploadRejected(f"“{name}” is empty.")
    if size > max_upload_bytes():
        raise UploadRejected(
            f"“{name}” is {filesizeformat(size)}; the largest file accepted is {filesizeformat(max_upload_bytes())}."
        )
    _check_content(upload, extension, name)
    return CheckedUpload(display_name=name, extension=extension, size=size)


def check_filename(raw: str) -> str:
    """Return the cleaned display name, or refuse names that try to be clever.

    Browsers send a bare name; a path, NUL, a control character or a bidi
    override (which makes "report\u202efdp.exe" look like "reportexe.pdf")
    only appears when someone is crafting the request."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise UploadRejected("The file has no name.")
    if "/" in name or "\\" in name or name.strip(".") == "":
        raise UploadRejected("The file name must not contain a folder path such as “../”.")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for char in name):
        raise UploadRejected(
            "The file name contains hidden or control characters (such as right-to-left overrides). "
            "Rename the file and try again."
        )
    return _shorten(name)


def safe_display_name(raw: str, fallback: str = "download") -> str:
    """A display name with anything dangerous removed, for names already stored."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Zl", "Zp"})
    name = name.strip().lstrip(".")
    return _shorten(name) if name else fallback


def _shorten(name: str) -> str:
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[:MAX_NAME_LENGTH]
    return stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension


def _check_content(upload, extension: str, name: str) -> None:
    label = FILE_TYPES[extension].label
    wrong = UploadRejected(f"“{name}” does not look like a real {label}. Check the file and upload it again.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    checks = {
        "pdf": _is_pdf,
        "png": _is_png,
        "jpg": _is_jpeg,
        "jpeg": _is_jpeg,
        "odt": _is_odt,
    }
    check = checks.get(extension, lambda f, h: _is_ooxml(f, h, _OOXML_PARTS[extension]))
    try:
        genuine = check(upload, head)
    except (OSError, ValueError, zipfile.BadZipFile, struct.error, EOFError, RuntimeError):
        genuine = False
    finally:
        upload.seek(0)
    if not genuine:
        raise wrong
    if _contains_markup(upload):
        raise UploadRejected(f"“{name}” contains web page code, so it cannot be accepted.")


def _is_pdf(upload, head: bytes) -> bool:
    if not head.startswith(b"%PDF-"):
        return False
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(max(0, size - 1024))
    return b"%%EOF" in upload.read()


def _is_png(upload, head: bytes) -> bool:
    """Walk the chunks: valid CRCs, ending at IEND with nothing after it."""
    if not head.startswith(_PNG_SIGNATURE):
        return False
    upload.seek(len(_PNG_SIGNATURE))
    first = True
    while True:
        header = upload.read(8)
        if len(header) < 8:
            return False
        length, chunk_type = struct.unpack(">I4s", header)
        if first and chunk_type != b"IHDR":
            return False
        first = False
        data = upload.read(length)
        crc = upload.read(4)
        if len(data) != length or len(crc) != 4:
            return False
        if zlib.crc32(chunk_type + data) & 0xFFFFFFFF != struct.unpack(">I", crc)[0]:
            return False
        if chunk_type == b"IEND":
            return upload.read(1) == b""


def _is_jpeg(upload, head: bytes) -> bool:
    if not head.startswith(b"\xff\xd8\xff"):
        return False
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(max(0, size - 64))
    return upload.read().rstrip(b"\x00").endswith(b"\xff\xd9")


def _is_ooxml(upload, head: bytes, required_part: str) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    with zipfile.ZipFile(upload) as archive:
        names = set(archive.namelist())
    return "[Content_Types].xml" in names and required_part in names


def _is_odt(upload, head: bytes) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    with zipfile.ZipFile(upload) as archive:
        first = archive.infolist()[0]
        if first.filename != "mimetype" or first.file_size > 100:
            return False
        return archive.read(first).strip() == _ODT_MIMETYPE


def _contains_markup(upload) -> bool:
    upload.seek(0)
    tail = b""
    try:
        while chunk := upload.read(_CHUNK):
            if _MARKUP.search(tail + chunk):
                return True
            tail = chunk[-_MARKUP_OVERLAP:]
        return False
    finally:
        upload.seek(0)


# --- Storing ----------------------------------------------------------------


def store_upload(upload, *, folder: str) -> StoredFile:
    """Validate, then write the file under a generated name. Raises UploadRejected.

    Call it before the database write it belongs to, and delete_stored() the
    key if that write fails, so no orphan is left behind."""
    checked = validate_upload(upload)
    upload.seek(0)
    return _write(folder, checked, (chunk for chunk in iter(lambda: upload.read(_CHUNK), b"")))


def store_bytes(content: bytes, *, display_name: str, folder: str) -> StoredFile:
    """Store generated content (demo files, exports) through the same checks."""
    from django.core.files.base import ContentFile

    return store_upload(ContentFile(content, name=display_name), folder=folder)


def _write(folder: str, checked: CheckedUpload, chunks) -> StoredFile:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", folder):
        raise ValueError(f"Invalid storage folder {folder!r}.")
    key = f"{folder}/{uuid.uuid4().hex}.{checked.extension}"
    path = stored_path(key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    # O_EXCL: a generated name never overwrites anything.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(key=key, display_name=checked.display_name, size=checked.size, content_type=checked.content_type)


def stored_path(key: str) -> Path:
    """The file's path, refusing any key that is not one we generated."""
    if not _KEY_PATTERN.match(key or ""):
        raise ValueError(f"Not a stored file key: {key!r}")
    root = storage_root().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise ValueError(f"Not a stored file key: {key!r}")
    return path


def delete_stored(key: str) -> None:
    if key:
        stored_path(key).unlink(missing_ok=True)


# --- Serving ----------------------------------------------------------------


def content_disposition(display_name: str, extension: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the real name as filename*."""
    name = safe_display_name(display_name, fallback=f"download.{extension}")
    if not name.lower().endswith(f".{extension}"):
        name = f"{name}.{extension}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._()\- ]", "_", ascii_name).strip(" .") or f"download.{extension}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(*, key: str, display_name: str) -> HttpResponse:
    """Stream a stored file as an attachment, or hand it to nginx.

    With PRIVATE_FILES_ACCEL_PREFIX set (e.g. "/protected-files/", an nginx
    `internal` location aliased to PRIVATE_STORAGE_ROOT), Django only checks
    permission and nginx sends the bytes."""
    try:
        path = stored_path(key)
    except ValueError as exc:
        raise Http404("No such file.") from exc
    extension = key.rsplit(".", 1)[-1]
    prefix = getattr(settings, "PRIVATE_FILES_ACCEL_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=FILE_TYPES[extension].content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(key)
    else:
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file is missing.") from exc
        response = FileResponse(handle, content_type=FILE_TYPES[extension].content_type)
        response["Content-Length"] = str(os.fstat(handle.fileno()).st_size)
    response["Content-Disposition"] = content_disposition(display_name, extension)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were tricked into rendering it, nothing in it may run.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
