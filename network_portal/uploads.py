"""Uploaded files: checked, stored privately through Django's storage API, served back as attachments.

Staff (resources, meeting papers) and members (case-study attachments) upload
files that other people then download, so every upload is treated as hostile:

- Only PDF, DOCX, PPTX, XLSX, ODT, PNG and JPEG are accepted, and the content
  must match the extension (magic bytes and structure), so HTML renamed to
  .pdf or a PNG carrying HTML is refused.
- The user's filename is never used in storage. Files live under generated
  names in the "private" storage of settings.STORAGES (local disk under
  PRIVATE_STORAGE_ROOT, or an S3-compatible bucket), never published by URL;
  the cleaned original name is kept only as the download name.
- Downloads go through download_response(), after the view's permission
  check, always as an attachment with nosniff and a Content-Type taken from
  the allowlist, never from the upload.

Any app can use the same checks:

    file = PrivateFileField(folder="policy-evidence")     # on the model
    upload = UploadField(required=False)                   # on a form
    with replacing(obj.file, upload):                      # in a service
        with transaction.atomic():
            obj.save()
    return download_response(file=obj.file, display_name=obj.file_name)   # in a view
"""

import os
import re
import struct
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils.functional import LazyObject, empty

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
_FOLDER_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}/[0-9a-f]{32}\.(?:" + "|".join(ALLOWED_EXTENSIONS) + r")$")
STORAGE_ALIAS = "private"


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
    name: str  # the storage name, e.g. "resources/3f2a...e1.pdf"
    display_name: str
    size: int
    content_type: str


def max_upload_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


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


def _tail(upload, count: int) -> bytes:
    """The last `count` bytes of the file (all of it when shorter)."""
    upload.seek(0, os.SEEK_END)
    upload.seek(max(0, upload.tell() - count))
    return upload.read()


def _is_pdf(upload, head: bytes) -> bool:
    return head.startswith(b"%PDF-") and b"%%EOF" in _tail(upload, 1024)


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
    return head.startswith(b"\xff\xd8\xff") and _tail(upload, 64).rstrip(b"\x00").endswith(b"\xff\xd9")


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


# --- Storage ----------------------------------------------------------------


class PrivateFileSystemStorage(FileSystemStorage):
    """Local disk under PRIVATE_STORAGE_ROOT: group-readable at most, and no URL.

    The root is read from the setting when first needed (and again when a test
    changes it), like FileSystemStorage does with MEDIA_ROOT."""

    def __init__(self, location=None, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o640)
        kwargs.setdefault("directory_permissions_mode", 0o750)
        super().__init__(location=location, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_STORAGE_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_STORAGE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("Private files have no public URL: serve them with download_response().")


class _PrivateStorage(LazyObject):
    """storages["private"], looked up when first used, so a FileField declared
    at import time follows STORAGES (local disk or S3, chosen in settings)."""

    def _setup(self):
        self._wrapped = storages[STORAGE_ALIAS]


private_storage = _PrivateStorage()


def get_private_storage():
    """For FileField(storage=...): a callable keeps the storage out of migrations."""
    return private_storage


@receiver(setting_changed)
def _forget_private_storage(*, setting, **kwargs):
    # Django forgets its own storages when STORAGES changes (tests); so do we.
    if setting == "STORAGES":
        private_storage._wrapped = empty


def is_local(storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def generated_name(folder: str, display_name: str) -> str:
    """A fresh storage name, "<folder>/<32 hex>.<extension>": nothing of the user's name but its type."""
    if not _FOLDER_PATTERN.match(folder):
        raise ValueError(f"Invalid storage folder {folder!r}.")
    extension = display_name.rsplit(".", 1)[-1].lower() if "." in display_name else ""
    if extension not in FILE_TYPES:
        raise ValueError(f"Not an accepted file type: {display_name!r}")
    return f"{folder}/{uuid.uuid4().hex}.{extension}"


def check_stored_name(name: str) -> str:
    """The name, refusing any that is not one we generated."""
    if not _KEY_PATTERN.match(name or ""):
        raise ValueError(f"Not a stored file key: {name!r}")
    return name


# --- Fields -----------------------------------------------------------------


def validate_new_upload(value) -> None:
    """Validator: a file being uploaded must pass validate_upload().

    A file already in storage (a committed FieldFile) was checked when it
    arrived; reading it back from object storage on every clean would be waste."""
    if isinstance(value, FieldFile) and value._committed:
        return
    validate_upload(value)


class PrivateFileField(models.FileField):
    """A file in the private storage, under a generated name in `folder`, checked on upload.

    The column holds the storage name; keep the user's cleaned file name in a
    separate field for the download."""

    def __init__(self, *args, folder: str, **kwargs):
        if not _FOLDER_PATTERN.match(folder):
            raise ValueError(f"Invalid storage folder {folder!r}.")
        self.folder = folder
        kwargs["storage"] = get_private_storage
        kwargs["upload_to"] = self._generated_name
        kwargs.setdefault("validators", [validate_new_upload])
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def _generated_name(self, instance, filename: str) -> str:
        return generated_name(self.folder, filename)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for derived in ("storage", "upload_to", "validators"):
            kwargs.pop(derived, None)
        kwargs["folder"] = self.folder
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": UploadField, **kwargs})


class UploadField(forms.FileField):
    """A form's file field with the same checks (type, content, size, name)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"{allowed_types_text()}, up to {max_upload_bytes() // (1024 * 1024)} MB.")
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT_ATTRIBUTE)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload is not initial:
            validate_upload(upload)
        return upload


# --- Storing and deleting -------------------------------------------------------


def store_upload(upload, *, folder: str) -> StoredFile:
    """Validate, then save the file under a generated name in `folder`. Raises UploadRejected.

    For files that belong to no field yet (generated content, demo data);
    services store into a row's field with replacing()."""
    checked = validate_upload(upload)
    upload.seek(0)
    name = private_storage.save(generated_name(folder, checked.display_name), upload)
    return StoredFile(
        name=name, display_name=checked.display_name, size=checked.size, content_type=checked.content_type
    )


def store_bytes(content: bytes, *, display_name: str, folder: str) -> StoredFile:
    """Store generated content (demo files, exports) through the same checks."""
    return store_upload(ContentFile(content, name=display_name), folder=folder)


def attach(fieldfile: FieldFile, upload) -> CheckedUpload:
    """Check the upload and store it as this field's file, under a generated name.

    The row itself is not saved: do that in the caller's transaction."""
    checked = validate_upload(upload)
    upload.seek(0)
    fieldfile.save(checked.display_name, upload, save=False)
    return checked


@contextmanager
def replacing(
    fieldfile: FieldFile, upload, *, still_used: Callable[[str], bool] | None = None
) -> Iterator[CheckedUpload | None]:
    """Give a row a new file around the database write that saves it.

    The upload (if any) is checked and stored before the block, which gets the
    CheckedUpload (display name, size) or None. If the block
    raises, the new file is deleted and the row keeps its old name. Once the
    write commits, the file the row named before is deleted, unless
    still_used(name) finds another row naming it (by default: a row of the
    same model)."""
    old_name = fieldfile.name or ""
    if not upload:
        yield None
        return
    checked = attach(fieldfile, upload)
    new_name = fieldfile.name
    try:
        yield checked
    except BaseException:
        fieldfile.storage.delete(new_name)
        setattr(fieldfile.instance, fieldfile.field.attname, old_name)
        raise
    if old_name and old_name != new_name:
        delete_on_commit(old_name, still_used=still_used or _named_by(type(fieldfile.instance), fieldfile.field.name))


def delete_on_commit(name: str, *, still_used: Callable[[str], bool]) -> None:
    """Delete a stored file once the current transaction commits (at once outside one).

    still_used(name) is asked then, after the commit, so a row that still names
    the file (a case study and the resource published from it share one) keeps it."""

    def delete():
        if not still_used(name):
            private_storage.delete(name)

    # robust: the rows are committed; a storage hiccup leaves an orphan file and a
    # logged error, not a failed request.
    transaction.on_commit(delete, robust=True)


def delete_with_files(queryset, *, still_used: Callable[[str], bool], field: str = "file") -> int:
    """Delete the rows, then, once that commits, the files they named. Returns how many rows went."""
    with transaction.atomic():
        names = [name for name in queryset.values_list(field, flat=True) if name]
        _, per_model = queryset.delete()
        for name in names:
            delete_on_commit(name, still_used=still_used)
    return per_model.get(queryset.model._meta.label, 0)


def _named_by(model, field_name: str) -> Callable[[str], bool]:
    return lambda name: model._default_manager.filter(**{field_name: name}).exists()


# --- The "file or link" rule ------------------------------------------------------


def check_file_or_link(*, has_file: bool, upload, link: str, required: bool, what: str) -> dict[str, str]:
    """The rule for anything offered as an uploaded file or an external link
    (resources, meeting papers): never both, and one of them when `required`.

    Returns {field: message} ("upload" or "link"); empty when the rule holds.
    `what` names the thing in messages, e.g. "A published resource"."""
    if upload and link:
        return {"link": "Give either a file or an external link, not both."}
    if has_file and link:
        return {"link": "This already has a file. Remove the link, or upload a new file to replace the current one."}
    if required and not (has_file or upload or link):
        return {"upload": f"{what} needs a file or an external link."}
    return {}


class FileOrLinkForm(forms.ModelForm):
    """A model form with an `upload` field and a link field, holding check_file_or_link().

    The model has a PrivateFileField named `file`; set link_field and what,
    and override file_or_link_required() when the rule is conditional."""

    link_field = "link"
    what = "This"

    def file_or_link_required(self, cleaned: dict) -> bool:
        return True

    def clean(self):
        cleaned = super().clean()
        errors = check_file_or_link(
            has_file=bool(self.instance.file),
            upload=cleaned.get("upload"),
            link=cleaned.get(self.link_field),
            required=self.file_or_link_required(cleaned),
            what=self.what,
        )
        for field, message in errors.items():
            self.add_error(self.link_field if field == "link" else "upload", message)
        return cleaned


# --- Serving ----------------------------------------------------------------


def content_disposition(display_name: str, extension: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the real name as filename*."""
    name = safe_display_name(display_name, fallback=f"download.{extension}")
    if not name.lower().endswith(f".{extension}"):
        name = f"{name}.{extension}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._()\- ]", "_", ascii_name).strip(" .") or f"download.{extension}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(*, file: FieldFile, display_name: str) -> HttpResponse:
    """Send a stored file as an attachment. Call it only after the permission check.

    - Local disk with PRIVATE_FILES_ACCEL_PREFIX set (an nginx `internal`
      location aliased to PRIVATE_STORAGE_ROOT): nginx sends the bytes.
    - Object storage with PRIVATE_FILES_REDIRECT_SECONDS set: a redirect to a
      signed URL that expires after that many seconds.
    - Otherwise the portal streams the file itself."""
    try:
        name = check_stored_name(file.name)
    except ValueError as exc:
        raise Http404("No such file.") from exc
    extension = name.rsplit(".", 1)[-1]
    content_type = FILE_TYPES[extension].content_type
    disposition = content_disposition(display_name, extension)
    storage = file.storage
    accel_prefix = getattr(settings, "PRIVATE_FILES_ACCEL_PREFIX", "")
    redirect_seconds = getattr(settings, "PRIVATE_FILES_REDIRECT_SECONDS", 0)
    if accel_prefix and is_local(storage):
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel_prefix.rstrip("/") + "/" + quote(name)
    elif redirect_seconds and not is_local(storage):
        response = HttpResponseRedirect(_signed_url(storage, name, content_type, disposition, redirect_seconds))
    else:
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError as exc:
            raise Http404("The file is missing.") from exc
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were tricked into rendering it, nothing in it may run.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _signed_url(storage, name: str, content_type: str, disposition: str, seconds: int) -> str:
    # The object store sends these headers itself, so the download is still an
    # attachment of an allowlisted type, and no cache keeps it.
    parameters = {
        "ResponseContentType": content_type,
        "ResponseContentDisposition": disposition,
        "ResponseCacheControl": "private, no-store",
    }
    return storage.url(name, parameters=parameters, expire=seconds)
