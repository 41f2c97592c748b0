from tests.reports.conftest import archive, make_request  # noqa: F401 - shared fixtures
