"""`python -m kefu.core.dbcheck URL`: exit 0 when the PostgreSQL at URL answers (used by `make test`)."""

import sys

import psycopg


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


if __name__ == "__main__":
    sys.exit(0 if answers(sys.argv[1]) else 1)
