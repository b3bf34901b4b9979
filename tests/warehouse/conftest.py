from tests.keyaccounts.conftest import billed, second_admin, warehouse  # noqa: F401 (shared fixtures)
