"""The `kefu` command: Django's management commands plus `demo`, `serve` and the other Kefu ones."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if args[:1] == ["serve"]:
        # Read by the settings, which load before the command runs: the server takes its PostgreSQL
        # connections from psycopg's pool, with prepared statements (docs/operations.md). Set here, not in
        # the command, so that a single worker — uvicorn then serves in this very process — has them too.
        os.environ["KEFU_DB_POOL"] = "1"
        # Each request runs in a context of its own (kefu.core.http_handler): a connection kept open after it
        # would never be used again.
        os.environ.setdefault("KEFU_CONN_MAX_AGE", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *args])


if __name__ == "__main__":
    main()
