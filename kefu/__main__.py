"""The `kefu` command: Django's management commands plus `demo`, `serve` and the other Kefu ones."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
