"""The pytest plugin: ``sca_sandbox`` gives each test a tenant of its own on
one sandbox per session. The binary comes from ``--sca-sandbox-bin``,
SCA_SANDBOX_BIN or the PATH; ``--sca-sandbox-url`` (or SCA_SANDBOX_URL)
attaches to a running sandbox instead."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

import pytest

from . import Sandbox, Tenant, start_sandbox


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sca-sandbox")
    group.addoption("--sca-sandbox-bin", default=None, help="the sca-sandbox binary to start")
    group.addoption("--sca-sandbox-url", default=None, help="attach to this running sandbox instead")


@pytest.fixture(scope="session")
def sca_sandbox_server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """One sandbox for the session."""
    sandbox = start_sandbox(
        request.config.getoption("--sca-sandbox-bin"), url=request.config.getoption("--sca-sandbox-url")
    )
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sca_sandbox(sca_sandbox_server: Sandbox, request: pytest.FixtureRequest) -> Iterator[Tenant]:
    """A tenant of its own for this test, given back (reset) afterwards;
    its integration report is kept for the session's summary."""
    tenant = sca_sandbox_server.tenant()
    yield tenant
    try:
        _reports(request.config).append((request.node.nodeid, tenant.report()))
    except Exception:  # noqa: BLE001 - a summary never fails a test
        pass
    tenant.release()


def _reports(config: pytest.Config) -> List[Tuple[str, Dict[str, Any]]]:
    if not hasattr(config, "_sca_sandbox_reports"):
        setattr(config, "_sca_sandbox_reports", [])
    return getattr(config, "_sca_sandbox_reports")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The integration report of the session: per rule, how many tests
    broke it and how often."""
    reports = _reports(config)
    if not reports:
        return
    counts: Dict[Tuple[str, str], List[int]] = {}
    for _, report in reports:
        for rule in report.get("rules", []):
            if rule["count"]:
                entry = counts.setdefault((rule["rule"], rule["severity"]), [0, 0])
                entry[0] += 1
                entry[1] += rule["count"]
    terminalreporter.section("sca-sandbox integration report")
    if not counts:
        terminalreporter.write_line(f"no deviations in {len(reports)} test(s)")
        return
    for (rule, severity), (tests, times) in sorted(counts.items()):
        terminalreporter.write_line(f"{severity:7} {rule}: {times} time(s) in {tests} test(s)")
