from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network_portal import uploads

from . import files


def upload(content: bytes, name: str):
    # django.core.files.base.File keeps the name exactly as given (UploadedFile
    # would strip the path first), so the checks see what an attacker sends.
    return File(ContentFile(content), name=name)


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("name", sorted(files.GENUINE))
def test_each_allowed_type_is_stored_under_a_generated_name(name, private_storage):
    stored = uploads.store_upload(upload(files.GENUINE[name](), name), folder="resources")

    path = Path(uploads.private_storage.path(stored.name))
    assert path.is_file() and private_storage.resolve() in path.parents
    assert name.rsplit(".")[0] not in stored.name
    assert stored.display_name == name
    extension = name.rsplit(".", 1)[1]
    assert stored.content_type == uploads.FILE_TYPES[extension].content_type
    assert path.read_bytes() == files.GENUINE[name]()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (files.HTML, "report.pdf", "does not look like a real PDF"),
        (files.HTML, "page.html", "not an accepted type"),
        (files.pdf(), "report.exe", "not an accepted type"),
        (files.pdf(), "report", "not an accepted type"),
        (files.png(), "chart.pdf", "does not look like a real PDF"),
        (files.pdf(), "notes.docx", "does not look like a real Word document"),
        (files.docx(), "slides.pptx", "does not look like a real PowerPoint"),
        (files.png_html_polyglot(), "chart.png", "web page code"),
        (files.png_with_html_appended(), "chart.png", "does not look like a real PNG"),
        (files.pdf_with_html(), "report.pdf", "web page code"),
        (files.jpeg()[:-2], "photo.jpg", "does not look like a real JPEG"),
        (b"", "empty.pdf", "is empty"),
        (files.pdf(), "../../etc/passwd.pdf", "folder path"),
        (files.pdf(), "..\\..\\report.pdf", "folder path"),
        (files.pdf(), "report\x00.pdf", "control characters"),
        (files.pdf(), "invoice\u202efdp.exe", "right-to-left"),
        (files.pdf(), "report\u2066.pdf", "control characters"),
    ],
)
def test_bad_upload_is_rejected_with_a_message_and_nothing_stored(content, name, message, private_storage):
    with pytest.raises(uploads.UploadRejected) as error:
        uploads.store_upload(upload(content, name), folder="resources")

    assert message in error.value.message
    assert stored_files(private_storage) == []


def test_upload_over_the_size_limit_is_rejected(settings, private_storage):
    content = files.pdf()
    settings.UPLOAD_MAX_BYTES = len(content) - 1

    with pytest.raises(uploads.UploadRejected, match="largest file accepted"):
        uploads.store_upload(upload(content, "report.pdf"), folder="resources")
    assert stored_files(private_storage) == []

    settings.UPLOAD_MAX_BYTES = len(content)
    assert uploads.store_upload(upload(content, "report.pdf"), folder="resources")


def test_size_limit_defaults_to_25_mb(settings):
    del settings.UPLOAD_MAX_BYTES
    assert uploads.max_upload_bytes() == 25 * 1024 * 1024


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=0, max_size=300), extension=st.sampled_from(["pdf", "PDF", "png", "", "html", "pdf.exe"]))
def test_any_filename_is_either_rejected_or_stored_under_a_generated_name_inside_the_root(
    name, extension, private_storage
):
    full_name = f"{name}.{extension}" if extension else name
    content = files.png() if extension == "png" else files.pdf()
    try:
        stored = uploads.store_upload(upload(content, full_name), folder="resources")
    except uploads.UploadRejected:
        return
    path = Path(uploads.private_storage.path(stored.name))
    assert private_storage.resolve() in path.parents
    assert path.name == stored.name.split("/")[-1]
    assert uploads.check_stored_name(stored.name)
    assert not any(c in stored.display_name for c in "/\\\x00\u202e\u202d\u2066\u2067\u2068\u2069")
    assert len(stored.display_name) <= uploads.MAX_NAME_LENGTH


@pytest.mark.parametrize("key", ["../secret.pdf", "resources/../../x.pdf", "/etc/passwd", "resources/abc.pdf", ""])
def test_stored_name_check_refuses_keys_it_did_not_generate(key):
    with pytest.raises(ValueError, match="Not a stored file key"):
        uploads.check_stored_name(key)


@pytest.mark.parametrize(
    ("name", "ascii_part", "utf8_part"),
    [
        ("Briefing.pdf", 'filename="Briefing.pdf"', "filename*=UTF-8''Briefing.pdf"),
        ("Über café.pdf", 'filename="Uber cafe.pdf"', "filename*=UTF-8''%C3%9Cber%20caf%C3%A9.pdf"),
        ('quote" here.pdf', 'filename="quote_ here.pdf"', "filename*=UTF-8''quote%22%20here.pdf"),
        ("report\u202efdp.exe", 'filename="reportfdp.exe.pdf"', "filename*=UTF-8''reportfdp.exe.pdf"),
        ("", 'filename="download.pdf"', "filename*=UTF-8''download.pdf"),
    ],
)
def test_content_disposition_is_rfc_6266_attachment(name, ascii_part, utf8_part):
    header = uploads.content_disposition(name, "pdf")

    assert header.startswith("attachment; ")
    assert ascii_part in header
    assert utf8_part in header


# --- The storage API pieces any app can reuse ------------------------------------


def test_private_file_field_checks_a_new_upload_when_the_model_is_cleaned(private_storage):
    from resources.models import Resource

    resource = Resource(title="T", slug="t", summary="S", kind="guide", url="")
    resource.file = upload(files.HTML, "briefing.pdf")

    with pytest.raises(ValidationError) as error:
        resource.clean_fields()

    assert "does not look like a real PDF" in str(error.value.message_dict["file"])
    assert stored_files(private_storage) == []
    # A file already in storage was checked on arrival and is not read back.
    resource.file = "resources/0123456789abcdef0123456789abcdef.pdf"
    resource.clean_fields()


def test_private_file_field_stores_under_a_generated_name_in_its_folder(private_storage):
    from resources.models import CaseStudy

    case_study = CaseStudy()
    checked = uploads.attach(case_study.file, upload(files.pdf(), "Our evaluation.pdf"))

    assert checked.display_name == "Our evaluation.pdf"
    assert case_study.file.name.startswith("case-studies/") and uploads.check_stored_name(case_study.file.name)
    assert stored_files(private_storage) == [private_storage / case_study.file.name]


def test_private_file_field_keeps_storage_and_naming_out_of_migrations():
    from resources.models import Resource

    _, path, _, kwargs = Resource._meta.get_field("file").deconstruct()

    assert path == "network_portal.uploads.PrivateFileField"
    assert kwargs == {"blank": True, "folder": "resources"}


def test_private_file_field_offers_the_checked_form_field():
    from resources.models import Resource

    form_field = Resource._meta.get_field("file").formfield()

    assert isinstance(form_field, uploads.UploadField)
    assert form_field.widget.attrs["accept"] == uploads.ACCEPT_ATTRIBUTE
    with pytest.raises(ValidationError, match="not an accepted type"):
        form_field.clean(upload(files.pdf(), "report.exe"))


def test_private_storage_gives_no_public_url(private_storage):
    stored = uploads.store_bytes(files.pdf(), display_name="report.pdf", folder="resources")

    with pytest.raises(ValueError, match="no public URL"):
        uploads.private_storage.url(stored.name)


@pytest.mark.parametrize(
    ("has_file", "new_upload", "link", "required", "expected"),
    [
        (False, True, "", True, {}),
        (False, False, "https://example.org", True, {}),
        (True, False, "", True, {}),
        (False, False, "", False, {}),
        (False, False, "", True, {"upload": "A paper needs a file or an external link."}),
        (False, True, "https://example.org", True, {"link": "Give either a file or an external link, not both."}),
        (True, False, "https://example.org", False, {"link": "This already has a file."}),
    ],
)
def test_file_or_link_rule(has_file, new_upload, link, required, expected):
    errors = uploads.check_file_or_link(
        has_file=has_file, upload=new_upload, link=link, required=required, what="A paper"
    )

    assert errors.keys() == expected.keys()
    assert all(errors[field].startswith(message) for field, message in expected.items())
