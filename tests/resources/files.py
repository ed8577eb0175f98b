"""Small genuine files of each accepted type, and hostile ones, built in memory."""

import io
import struct
import zipfile
import zlib

from resources.demo import make_pdf


def pdf(text: str = "A test document") -> bytes:
    return make_pdf("Test file", [text])


def png(width: int = 2, height: int = 2, extra_chunks: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    body = b"".join(chunk(kind, data) for kind, data in extra_chunks)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    # SOI, a JFIF APP0 segment, a few bytes of scan data, EOI: enough for the structure check.
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\x34\x56" + b"\xff\xd9"


def _zip(entries: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), entries.pop(stored_first), compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx() -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"})


def pptx() -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p:presentation/>"})


def xlsx() -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})


def odt() -> bytes:
    return _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"},
        stored_first="mimetype",
    )


GENUINE = {
    "report.pdf": pdf,
    "notes.docx": docx,
    "slides.pptx": pptx,
    "figures.xlsx": xlsx,
    "minutes.odt": odt,
    "chart.png": png,
    "photo.jpg": jpeg,
    "photo.jpeg": jpeg,
}

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def png_html_polyglot() -> bytes:
    """A structurally valid PNG whose text chunk carries a script."""
    return png(extra_chunks=((b"tEXt", b"Comment\x00<html><script>alert(1)</script></html>"),))


def png_with_html_appended() -> bytes:
    return png() + b"<html><script>alert(1)</script></html>"


def pdf_with_html() -> bytes:
    return b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"
