import pytest

from .test_settings import _django_check


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"PRIVATE_STORAGE": "nfs"}, "PRIVATE_STORAGE must be local or s3"),
        ({"PRIVATE_STORAGE": "s3"}, "PRIVATE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        (
            {"PRIVATE_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "files", "PRIVATE_FILES_ACCEL_PREFIX": "/p/"},
            "PRIVATE_FILES_ACCEL_PREFIX works with PRIVATE_STORAGE=local only",
        ),
        ({"PRIVATE_FILES_REDIRECT_SECONDS": "60"}, "PRIVATE_FILES_REDIRECT_SECONDS needs PRIVATE_STORAGE=s3"),
        ({"PRIVATE_FILES_REDIRECT_SECONDS": "soon"}, "PRIVATE_FILES_REDIRECT_SECONDS must be a whole number"),
    ],
)
def test_inconsistent_file_storage_settings_stop_start_up_with_one_line(environment, message):
    result = _django_check(DEBUG="1", **environment)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_local_private_storage_lives_under_its_root_outside_static_files(settings):
    from network_portal import uploads

    assert settings.STORAGES["private"]["BACKEND"] == "network_portal.uploads.PrivateFileSystemStorage"
    root = settings.PRIVATE_STORAGE_ROOT.resolve()
    assert root != settings.STATIC_ROOT.resolve() and settings.STATIC_ROOT.resolve() not in root.parents
    assert uploads.is_local(uploads.private_storage)
    assert uploads.private_storage.location == str(root)
