"""The sca-sandbox test kit: runs the binary (or attaches to a running
sandbox), gives each test its own tenant, and wraps the control API that
plays the clock, the phone and the end user. Standard library only."""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

from .durations import Duration, seconds
from .operations import OPERATIONS
from .players import Clock, Intergiro, Shine, Solaris, Thredd, Weavr

__all__ = ["OPERATIONS", "Sandbox", "SandboxError", "Tenant", "start_sandbox"]


def _holds(value: Any, pattern: Any) -> bool:
    """Whether ``value`` holds every field of ``pattern`` (dicts by their own fields)."""
    if pattern is None:
        return True
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_holds(value.get(k), v) for k, v in pattern.items())
    return value == pattern

class SandboxError(Exception):
    """A control API answer that was not a 2xx; ``code`` is the sandbox's error code."""

    def __init__(self, operation_id: str, status: int, body: Any):
        error = body.get("error") if isinstance(body, dict) else None
        self.operation_id = operation_id
        self.status = status
        self.body = body
        self.code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else body
        code = f" {self.code}" if self.code else ""
        super().__init__(f"{operation_id}: {status}{code}: {message}")


def start_sandbox(
    bin: Optional[str] = None,
    *,
    url: Optional[str] = None,
    scenario: Optional[str] = None,
    admin_token: Optional[str] = None,
    args: Optional[List[str]] = None,
    env: Optional[Dict[str, str]] = None,
    log: bool = False,
    start_timeout: float = 10.0,
) -> "Sandbox":
    """Starts the binary on a free port, or attaches to ``url`` (or
    SCA_SANDBOX_URL). The binary is ``bin``, else SCA_SANDBOX_BIN, else
    ``sca-sandbox`` on the PATH."""
    url = url or os.environ.get("SCA_SANDBOX_URL")
    admin_token = admin_token or os.environ.get("SCA_SANDBOX_ADMIN_TOKEN")
    if url:
        return Sandbox(url.rstrip("/"), None, admin_token)
    bin = bin or os.environ.get("SCA_SANDBOX_BIN") or "sca-sandbox"
    argv = [bin, "--port", "0"]
    if scenario:
        argv += ["--scenario", scenario]
    if admin_token:
        argv += ["--admin-token", admin_token]
    argv += args or []
    try:
        child = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=None if log else subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            text=True,
        )
    except OSError as error:
        raise RuntimeError(f"could not run {bin} (set SCA_SANDBOX_BIN or bin=): {error}") from error
    found: List[str] = []
    ready = threading.Event()

    def read() -> None:
        # Reads the banner, then keeps draining so the pipe never fills.
        assert child.stdout is not None
        for line in child.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match and not found:
                found.append(match.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(start_timeout) or not found:
        child.kill()
        raise RuntimeError(f"{bin} did not report its address within {start_timeout} s")
    return Sandbox(found[0], child, admin_token)


class Sandbox:
    """A running sandbox: its URL, its tenants, and how to stop it."""

    def __init__(self, url: str, child: Optional[subprocess.Popen], admin_token: Optional[str]):
        self.url = url
        self.admin_token = admin_token
        self._child = child
        self._free: List[str] = []
        self._lock = threading.Lock()
        self._counter = 0
        if child is not None:
            atexit.register(self.stop)
        #: The default tenant: what a client without a tenant prefix sees.
        self.default = Tenant(self, None)
        self._baseline = self.default.scenarios()["active"].get("library_name")

    def tenant(self, name: Optional[str] = None, scenario: Optional[str] = None) -> "Tenant":
        """A tenant of its own: fresh state, clock, outbox and journal. With
        ``scenario`` (YAML text) it runs that scenario. Give it back with
        ``release()`` so the next test can reuse it (a sandbox holds 1,024)."""
        with self._lock:
            if name is None and self._free:
                name = self._free.pop()
            elif name is None:
                self._counter += 1
                name = f"kit-{os.getpid()}-{self._counter}-{secrets.token_hex(3)}"
        tenant = Tenant(self, name)
        if scenario is not None:
            tenant.load_scenario(scenario)
        return tenant

    def recycle(self, tenant: "Tenant") -> None:
        """Puts a tenant back on the starting scenario, fresh, for reuse."""
        if tenant.scenario_loaded:
            if self._baseline is None:
                return
            tenant.activate_scenario(self._baseline)
        tenant.reset()
        with self._lock:
            self._free.append(tenant.name)

    def stop(self) -> None:
        """Stops the binary this kit started (an attached sandbox keeps running)."""
        child, self._child = self._child, None
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Tenant:
    """One tenant: every call goes to ``/t/<name>/…``; the default tenant has no prefix."""

    def __init__(self, sandbox: Sandbox, name: Optional[str]):
        self.sandbox = sandbox
        self.name = name
        #: The base URL for provider calls: ``f"{tenant.url}/shine/v2/…"``.
        self.url = f"{sandbox.url}/t/{name}" if name else sandbox.url
        self.scenario_loaded = False
        self.clock = Clock(self)
        self.intergiro = Intergiro(self)
        self.weavr = Weavr(self)
        self.solaris = Solaris(self)
        self.thredd = Thredd(self)
        self.shine = Shine(self)

    def provider_url(self, provider: str) -> str:
        """A provider's base URL in this tenant, e.g. ``provider_url("weavr")``."""
        return f"{self.url}/{provider}"

    @property
    def headers(self) -> Dict[str, str]:
        """Headers that select this tenant for a client that cannot change its path."""
        return {"x-sandbox-tenant": self.name} if self.name else {}

    def call(
        self,
        operation_id: str,
        *,
        params: Optional[Dict[str, str]] = None,
        query: Optional[Dict[str, Any]] = None,
        body: Any = None,
        yaml: Optional[str] = None,
        root: bool = False,
        timeout: float = 75.0,
    ) -> Any:
        """Calls a control API operation by its id and returns the parsed answer."""
        method, template = OPERATIONS[operation_id]
        path = re.sub(
            r"\{(\w+)\}",
            lambda m: urllib.parse.quote(str((params or {})[m.group(1)]), safe=""),
            template,
        )
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if pairs:
            path += "?" + urllib.parse.urlencode(pairs)
        headers: Dict[str, str] = {}
        if self.sandbox.admin_token:
            headers["authorization"] = f"Bearer {self.sandbox.admin_token}"
        data = None
        if yaml is not None:
            headers["content-type"] = "application/yaml"
            data = yaml.encode()
        elif body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body).encode()
        base = self.sandbox.url if root else self.url
        request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as res:
                return _decode(res.headers.get("content-type", ""), res.read())
        except urllib.error.HTTPError as error:
            raise SandboxError(
                operation_id, error.code, _decode(error.headers.get("content-type", ""), error.read())
            ) from None

    def health(self) -> Dict[str, Any]:
        return self.call("adminHealth")

    def stats(self) -> Dict[str, Any]:
        return self.call("adminStats")

    def openapi(self) -> Dict[str, Any]:
        return self.call("adminOpenapi")

    def hosts(self) -> Dict[str, str]:
        return self.call("adminHosts")

    def scenario_schema(self) -> Dict[str, Any]:
        return self.call("adminScenarioSchema")

    def ca_certificate(self) -> str:
        return self.call("adminCaCertificate")

    def client_certificate(self, name: Optional[str] = None) -> Dict[str, str]:
        return self.call("adminClientCertificate", body={"name": name} if name else {})

    def reset(self) -> Dict[str, Any]:
        """Drops this tenant's state and puts its clock back on system time."""
        return self.call("adminReset")

    def release(self) -> None:
        """Gives the tenant back to its sandbox for the next test."""
        self.sandbox.recycle(self)

    def load_scenario(self, yaml: str) -> Dict[str, Any]:
        """Runs a YAML scenario in this tenant, with a fresh world."""
        if self.name:
            info = self.call("adminSetTenantScenario", params={"name": self.name}, yaml=yaml, root=True)
        else:
            info = self.call("adminLoadScenario", yaml=yaml)
        self.scenario_loaded = True
        return info

    def activate_scenario(self, name: str) -> Dict[str, Any]:
        """Runs a scenario from the library (a built-in, or a file the sandbox read)."""
        info = self.call("adminActivateScenario", params={"name": name})
        self.scenario_loaded = True
        return info

    def scenarios(self) -> Dict[str, Any]:
        return self.call("adminGetScenarios")

    def sms(self, to: Optional[str] = None, provider: Optional[str] = None, since: Any = None) -> List[Dict[str, Any]]:
        """The SMS outbox, oldest first."""
        return self.call("adminListSms", query={"to": to, "provider": provider, "since": since})

    def send_sms(self, to: str, text: str, code: Optional[str] = None) -> Dict[str, Any]:
        """Sends an SMS by hand, as the scenario's ``users.sms`` does."""
        return self.call("adminSendSms", body={"to": to, "text": text, "code": code})

    def wait_for_sms(
        self, to: str, *, since: Any = None, provider: Optional[str] = None, timeout: Duration = "10s"
    ) -> Dict[str, Any]:
        """Waits for an SMS to ``to`` (after ``since``, a sequence number) and
        returns the newest; raises TimeoutError after ``timeout`` of real time."""
        found = self._long_poll("adminListSms", {"to": to, "provider": provider, "since": since}, timeout)
        if found is None:
            raise TimeoutError(f"no SMS to {to} within {timeout}")
        return found

    def events(
        self, type: Optional[str] = None, provider: Optional[str] = None, subject: Optional[str] = None, since: Any = None
    ) -> List[Dict[str, Any]]:
        """The timeline, oldest first."""
        return self.call("adminEvents", query={"type": type, "provider": provider, "subject": subject, "since": since})

    def wait_for_event(
        self, type: str, *, subject: Optional[str] = None, provider: Optional[str] = None, since: Any = None,
        timeout: Duration = "10s",
    ) -> Dict[str, Any]:
        """Waits for an event of ``type`` and returns the newest."""
        filters = {"type": type, "subject": subject, "provider": provider, "since": since}
        found = self._long_poll("adminEvents", filters, timeout)
        if found is None:
            raise TimeoutError(f"no {type} event within {timeout}")
        return found

    def _long_poll(self, operation_id: str, filters: Dict[str, Any], timeout: Duration) -> Optional[Dict[str, Any]]:
        deadline = time.monotonic() + seconds(timeout)
        while True:
            left = min(deadline - time.monotonic(), 60.0)
            if left <= 0:
                return None
            found = self.call(operation_id, query={**filters, "wait": f"{max(1, int(left * 1000))}ms"})
            if found:
                return found[-1]

    def report(self, format: Optional[str] = None) -> Any:
        """The integration report: where the client broke the providers'
        rules. ``format`` is ``json`` (the default, parsed), ``junit`` or
        ``markdown`` (text)."""
        return self.call("adminReport", query={"format": format})

    def expect_no_deviations(self, severity: str = "error") -> Dict[str, Any]:
        """Raises AssertionError when the report holds deviations of
        ``severity`` (``error`` by default; ``warning`` counts both), listing
        each with its rule, request and source."""
        report = self.report()
        counted = ("error", "warning") if severity == "warning" else ("error",)
        found = [d for d in report["deviations"] if d["severity"] in counted]
        if found:
            lines = "\n  ".join(
                f"{d['severity']} {d['rule']} (request {d['request']}): {d['message']} [{d['source']}]" for d in found
            )
            raise AssertionError(f"the client broke {len(found)} provider rule(s):\n  {lines}")
        return report

    def webhooks(
        self, provider: Optional[str] = None, event: Optional[str] = None, state: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """The webhooks the providers sent, newest first, each with its attempts."""
        return self.call("adminListWebhooks", query={"provider": provider, "event": event, "state": state, "limit": limit})

    def webhook(self, delivery_id: str) -> Dict[str, Any]:
        """One delivery, with its attempts."""
        return self.call("adminGetWebhook", params={"id": delivery_id})

    def redeliver_webhook(self, delivery_id: str) -> Dict[str, Any]:
        """One more attempt of a delivery, now."""
        return self.call("adminRedeliverWebhook", params={"id": delivery_id})

    def inbox(self, name: str = "ci", since: Any = None) -> List[Dict[str, Any]]:
        """What the built-in receiver ``inbox:<name>`` got, oldest first."""
        return self.call("adminWebhookInbox", params={"name": name}, query={"since": since})

    def wait_for_webhook(
        self, *, inbox: str = "ci", since: Any = None, timeout: Duration = "10s", body: Optional[Dict[str, Any]] = None,
        **match: Any,
    ) -> Dict[str, Any]:
        """Waits for a webhook in ``inbox`` whose fields (``event``, ``provider``,
        ``verified``) equal ``match`` and whose body holds every field of
        ``body`` (nested dicts by their own fields); returns the first such
        arrival after ``since``."""
        deadline = time.monotonic() + seconds(timeout)
        after = since
        while True:
            left = min(deadline - time.monotonic(), 60.0)
            if left <= 0:
                raise TimeoutError(f"no webhook matching {dict(match, body=body)} within {timeout}")
            arrived = self.call(
                "adminWebhookInbox", params={"name": inbox},
                query={"since": after, "wait": f"{max(1, int(left * 1000))}ms"},
            )
            for arrival in arrived:
                if all(arrival.get(k) == v for k, v in match.items()) and _holds(arrival.get("body"), body):
                    return arrival
            if arrived:
                after = arrived[-1]["seq"]

    def journal(
        self, provider: Optional[str] = None, operation: Optional[str] = None, limit: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """The provider requests received, newest last."""
        return self.call("adminJournal", query={"provider": provider, "operation": operation, "limit": limit})

    def expect_request(self, **match: Any) -> Dict[str, Any]:
        """Asserts that the journal holds a request matching ``operation``,
        ``provider``, ``status``, ``method`` or ``path``, and returns the newest."""
        entries = self.journal(provider=match.get("provider"), operation=match.get("operation"))
        hits = [e for e in entries if all(e.get(k) == v for k, v in match.items())]
        if not hits:
            seen = "\n  ".join(f"{e['method']} {e['path']} {e['operation']} {e['status']}" for e in entries)
            raise AssertionError(f"no request matching {match}; the journal holds:\n  {seen or '(nothing)'}")
        return hits[-1]

    def expect_event(self, type: str, *, subject: Optional[str] = None, provider: Optional[str] = None) -> Dict[str, Any]:
        """Asserts that the timeline holds an event of ``type`` and returns the newest."""
        found = self.events(type=type, subject=subject, provider=provider)
        if not found:
            raise AssertionError(f"no {type} event{f' for {subject}' if subject else ''} on the timeline")
        return found[-1]


def _decode(content_type: str, raw: bytes) -> Any:
    text = raw.decode()
    return json.loads(text) if "json" in content_type and text else text

