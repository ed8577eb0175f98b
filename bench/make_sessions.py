"""Print the URLs and session cookies load.py needs, one "name value" pair a line.

Run with the same SECRET_KEY as the server: a session's auth hash depends on it."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from bench.pages import busiest_member, page_urls  # noqa: E402
from bench.sessions import cookie_header, staff_user  # noqa: E402

pages = page_urls()
print("member_cookie", cookie_header(busiest_member().user))
print("staff_cookie", cookie_header(staff_user()))
print("meeting_path", pages["meeting"][1])
print("session_path", pages["session-member"][1])
