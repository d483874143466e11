#!/usr/bin/env python
"""Django's command-line utility.

Beside `make run`, a command in a second terminal uses the same settings: `make run` writes them to
`.run/local.env` (the SQLite database, the local Xero's URLs and client), read here when no DATABASE_URL
is set. A command that fails prints one line (`--traceback` for the whole story) and exits 1.
"""
import os
import sys
from pathlib import Path


def load_local_env() -> None:
    """The settings `make run` wrote, under what the environment already sets."""
    if os.environ.get("DATABASE_URL"):
        return  # tests, benchmarks and production say where everything is
    run_dir = Path(os.environ.get("INTEGRATIONS_RUN_DIR") or Path(__file__).resolve().parent / ".run")
    local = run_dir / "local.env"
    if not local.is_file():
        return
    for line in local.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    load_local_env()
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as error:
        if "--traceback" in sys.argv:
            raise
        from integrations_core.errors import one_line

        sys.stderr.write(f"Error: {one_line(error)} (run again with --traceback for details)\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
