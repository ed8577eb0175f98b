"""Production settings plus the benchmark's ceiling view, for bench/load.sh only.

The product never loads this module, so the ceiling view is not part of it."""

from network_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
