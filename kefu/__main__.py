"""The `kefu` command: Django's management commands plus `demo`, `serve` and the other Kefu ones."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if args[:1] == ["serve"]:
        # Read by the settings, which load before the command runs: on PostgreSQL the server's threads keep
        # their connections with prepared statements (docs/operations.md). Set here, not in the command, so
        # that a single worker — uvicorn then serves in this very process — has them too.
        os.environ["KEFU_PREPARED_STATEMENTS"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *args])


if __name__ == "__main__":
    main()
