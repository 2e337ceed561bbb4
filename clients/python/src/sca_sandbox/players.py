"""The clock and the end users of each provider, as a tenant plays them."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from .durations import Duration, parse_time, wire

if TYPE_CHECKING:
    from . import Tenant


class Clock:
    """The tenant's clock: time moves only when told, once frozen."""

    def __init__(self, tenant: "Tenant"):
        self._tenant = tenant

    def _answer(self, clock: Dict[str, Any]) -> Dict[str, Any]:
        return {"now": parse_time(clock["now"]), "frozen": clock["frozen"]}

    def get(self) -> Dict[str, Any]:
        """``{"now": datetime, "frozen": bool}``."""
        return self._answer(self._tenant.call("adminGetClock"))

    def now(self) -> datetime:
        return self.get()["now"]

    def freeze(self) -> Dict[str, Any]:
        return self._answer(self._tenant.call("adminSetClock", body={"frozen": True}))

    def unfreeze(self) -> Dict[str, Any]:
        return self._answer(self._tenant.call("adminSetClock", body={"frozen": False}))

    def set(self, when: Union[datetime, str]) -> Dict[str, Any]:
        """Sets the time (a timezone-aware datetime or RFC 3339 text); the clock freezes there."""
        text = when.isoformat() if isinstance(when, datetime) else when
        return self._answer(self._tenant.call("adminSetClock", body={"frozen": True, "set": text}))

    def advance(self, duration: Duration) -> Dict[str, Any]:
        """Moves time on by ``90s``, ``5m``, ``1h30m``, seconds, or a timedelta."""
        return self._answer(self._tenant.call("adminSetClock", body={"advance": wire(duration)}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Intergiro:
    """Intergiro's user, on the hosted consent page or through the control API."""

    def __init__(self, tenant: "Tenant"):
        self._tenant = tenant

    def approve(self, consent_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminIntergiroApprove", params={"id": consent_id})

    def decline(self, consent_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminIntergiroDecline", params={"id": consent_id})

    def activate_individual(self, individual_id: str) -> Dict[str, Any]:
        """Intergiro's review of an individual's onboarding data (``onboarding_review: manual``)."""
        return self._tenant.call("adminIntergiroActivate", params={"id": individual_id})

    def block_individual(self, individual_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminIntergiroBlock", params={"id": individual_id})

    def submit_page(self, redirect_url: str, *, decision: str = "approve", passcode: str = "1234") -> str:
        """Opens the consent page (``method.redirect_url``) and submits it as a
        user would: ``approve`` with the passcode (default the demo 1234), or
        ``decline``. Returns the redirect back (``return_url?consent_id=…&status=…``)."""
        try:
            with urllib.request.urlopen(redirect_url, timeout=30) as page:
                page.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"the consent page answered {error.code}") from None
        url = urllib.parse.urlsplit(redirect_url)
        token = urllib.parse.parse_qs(url.query).get("token", [""])[0]
        form = {"token": token, "decision": decision}
        if decision == "approve":
            form["passcode"] = passcode
        action = urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, "", ""))
        request = urllib.request.Request(action, data=urllib.parse.urlencode(form).encode(), method="POST")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as res:
                raise RuntimeError(f"the consent page did not redirect ({res.status})")
        except urllib.error.HTTPError as error:
            location = error.headers.get("location")
            if error.code != 303 or not location:
                raise RuntimeError(f"the consent page did not redirect ({error.code})") from None
            return location


class Weavr:
    """Weavr's user answering a push on the phone."""

    def __init__(self, tenant: "Tenant"):
        self._tenant = tenant

    def pushes(self) -> List[Dict[str, Any]]:
        return self._tenant.call("adminWeavrPushList")

    def approve_push(self, push_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminWeavrPushApprove", params={"id": push_id})

    def reject_push(self, push_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminWeavrPushReject", params={"id": push_id})


class Solaris:
    """Solaris' virtual devices, whose private keys the sandbox holds."""

    def __init__(self, tenant: "Tenant"):
        self._tenant = tenant

    def bind_device(self, person_id: str, *, key_purpose: Optional[str] = None) -> Dict[str, Any]:
        """Binds a virtual device at once: ``{id, person_id, key_purpose, key}``."""
        body = {"person_id": person_id}
        if key_purpose:
            body["key_purpose"] = key_purpose
        return self._tenant.call("adminSolarisBindDevice", body=body)

    def sign(self, device_id: str, string_to_sign: str, *, key_purpose: Optional[str] = None) -> str:
        """Signs as the device does (hex DER ECDSA P-256 over SHA-256); returns the hex signature."""
        body = {"string_to_sign": string_to_sign}
        if key_purpose:
            body["key_purpose"] = key_purpose
        return self._tenant.call("adminSolarisSign", params={"id": device_id}, body=body)["signature"]


class Thredd:
    """Thredd's cardholder: the purchase, the answer in the PM's app, the fallback OTP."""

    def __init__(self, tenant: "Tenant"):
        self._tenant = tenant

    def purchase(self, **body: Any) -> Dict[str, Any]:
        """``pubtoken, amount, currency, merchant?, notify_initiate_action_url?, validation_timeout?``."""
        return self._tenant.call("adminThreddStart", body=body)

    def get(self, session_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminThreddGet", params={"id": session_id})

    def answer_in_app(self, session_id: str, status: str) -> Dict[str, Any]:
        """The cardholder answers in the app; the sandbox sends NotifyValidate with ``status`` as the PM would."""
        return self._tenant.call("adminThreddApp", params={"id": session_id}, body={"status": status})

    def approve_in_app(self, session_id: str) -> Dict[str, Any]:
        return self.answer_in_app(session_id, "SUCCESS")

    def fail_in_app(self, session_id: str) -> Dict[str, Any]:
        return self.answer_in_app(session_id, "FAILURE")

    def enter_otp(self, session_id: str, code: str) -> Dict[str, Any]:
        """The cardholder types the fallback OTP from the SMS."""
        return self._tenant.call("adminThreddOtp", params={"id": session_id}, body={"code": code})


class Shine:
    """Shine's user in the Shine app."""

    def __init__(self, tenant: "Tenant"):
        self._tenant = tenant

    def action_requests(self, status: Optional[str] = None) -> List[Dict[str, Any]]:
        """Action requests, optionally by status (PENDING, CONFIRMED, REJECTED, EXPIRED)."""
        return self._tenant.call("adminShineList", query={"status": status})

    def confirm(self, request_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminShineConfirm", params={"id": request_id})

    def reject(self, request_id: str) -> Dict[str, Any]:
        return self._tenant.call("adminShineReject", params={"id": request_id})
