"""The pytest plugin: ``sca_sandbox`` gives each test a tenant of its own on
one sandbox per session. The binary comes from ``--sca-sandbox-bin``,
SCA_SANDBOX_BIN or the PATH; ``--sca-sandbox-url`` (or SCA_SANDBOX_URL)
attaches to a running sandbox instead."""

from __future__ import annotations

from typing import Iterator

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
def sca_sandbox(sca_sandbox_server: Sandbox) -> Iterator[Tenant]:
    """A tenant of its own for this test, given back (reset) afterwards."""
    tenant = sca_sandbox_server.tenant()
    yield tenant
    tenant.release()
