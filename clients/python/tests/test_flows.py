"""One whole flow per provider, played with the kit against the real binary,
each test in a tenant of its own (the plugin's ``sca_sandbox`` fixture)."""

import base64
import re
from datetime import timedelta

import pytest
from http_client import call

from sca_sandbox import SandboxError

SHINE_CLIENT = {"client_id": "shine-client", "client_secret": "shine-secret"}
PAYLOAD = {"amount": 234, "bankTransferRecipientId": "recipient-1", "uid": "user-1"}


def shine_request(tenant, payload=PAYLOAD):
    status, body = call(
        f"{tenant.provider_url('shine')}/v2/authentication/oauth2/action_request",
        {"action": "bank:transfers:create", **SHINE_CLIENT, "uid": "user-1", "payload": payload},
    )
    assert status == 200
    return body["data"]["authenticationActionRequestId"]


def test_shine_the_user_confirms_and_the_token_unlocks_the_transfer_once(sca_sandbox):
    shine = sca_sandbox.provider_url("shine")
    request_id = shine_request(sca_sandbox)
    assert len(sca_sandbox.shine.action_requests("PENDING")) == 1
    sca_sandbox.shine.confirm(request_id)
    _, poll = call(
        f"{shine}/v2/authentication/oauth2/action_request/{request_id}/poll"
        "?client_id=shine-client&client_secret=shine-secret",
        method="GET",
    )
    assert poll["data"]["status"] == "CONFIRMED"
    headers = {"authorization": "Bearer shine-user-1-token", "short-lived-token": poll["data"]["token"]}
    assert call(f"{shine}/v3/bank/transfers", PAYLOAD, headers=headers)[0] == 201
    status, again = call(f"{shine}/v3/bank/transfers", PAYLOAD, headers=headers)
    assert (status, again["code"]) == (403, "short_lived_token_used")
    sca_sandbox.expect_request(operation="shine.transfer.create", status=201)
    sca_sandbox.expect_event("token.used")


def test_shine_past_expires_at_on_the_sandbox_clock_the_user_cannot_confirm(sca_sandbox):
    sca_sandbox.clock.freeze()
    request_id = shine_request(sca_sandbox)
    before = sca_sandbox.clock.now()
    assert sca_sandbox.clock.advance(timedelta(minutes=4))["now"] - before == timedelta(minutes=4)
    with pytest.raises(SandboxError) as refused:
        sca_sandbox.shine.confirm(request_id)
    assert refused.value.status == 409
    assert len(sca_sandbox.shine.action_requests("EXPIRED")) == 1


def intergiro_login(tenant):
    _, login = call(f"{tenant.provider_url('intergiro')}/v3/auth/login", {"api_key": "intergiro-sandbox-key"})
    return {"authorization": f"Bearer {login['access_token']}"}


def test_intergiro_412_the_hosted_page_the_redirect_back_then_the_payment(sca_sandbox):
    base = sca_sandbox.provider_url("intergiro")
    auth = intergiro_login(sca_sandbox)
    pay = {"request_id": "r-1", "account_id": "acc-1", "amount": 1000, "reference": "INV-1",
           "counterparty": {"name": "Jane Doe", "account": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}}}
    status, first = call(f"{base}/v3/transactions/pay", pay, headers=auth)
    assert status == 412
    consent = first["consent"]["id"]
    _, started = call(f"{base}/v3/consents/{consent}", {"return_url": "https://shop.example/back"}, headers=auth)
    page = started["method"]["redirect_url"]
    with pytest.raises(RuntimeError, match=r"did not redirect \(422\)"):
        sca_sandbox.intergiro.submit_page(page, passcode="0000")
    back = sca_sandbox.intergiro.submit_page(page)
    assert back.startswith("https://shop.example/back?")
    assert f"consent_id={consent}" in back and "status=approved" in back
    assert call(f"{base}/v3/transactions/pay", pay, headers=auth)[0] == 200
    sca_sandbox.expect_event("consent.approved", subject=consent)


def test_intergiro_a_declined_consent_refuses_the_action(sca_sandbox):
    base = sca_sandbox.provider_url("intergiro")
    auth = intergiro_login(sca_sandbox)
    status, first = call(f"{base}/v3/cards/card-1/activate", {}, headers=auth)
    assert status == 412
    assert sca_sandbox.intergiro.decline(first["consent"]["id"])["status"] == "declined"
    assert call(f"{base}/v3/cards/card-1/activate", {}, headers=auth)[0] == 403
    # The review decides only once the individual has sent the onboarding form.
    with pytest.raises(SandboxError) as early:
        sca_sandbox.intergiro.block_individual("ind-1")
    assert early.value.status == 409
    with pytest.raises(SandboxError) as unknown:
        sca_sandbox.intergiro.activate_individual("nobody")
    assert unknown.value.status == 404


def test_weavr_the_step_up_otp_arrives_by_sms_and_verifies(sca_sandbox):
    base = f"{sca_sandbox.provider_url('weavr')}/multi"
    key = {"api-key": "weavr-sandbox-key"}
    status, login = call(
        f"{base}/login_with_password", {"email": "buyer@example.com", "password": {"value": "Passw0rd!"}}, headers=key
    )
    assert status == 200
    auth = {**key, "authorization": f"Bearer {login['token']}"}
    assert call(f"{base}/stepup/challenges/otp/SMS", headers=auth)[0] == 204
    sms = sca_sandbox.wait_for_sms("+447700900123", provider="weavr")
    assert re.fullmatch(r"\d{6}", sms["code"])
    wrong = "111111" if sms["code"] == "000000" else "000000"
    assert call(f"{base}/stepup/challenges/otp/SMS/verify", {"verificationCode": wrong}, headers=auth)[0] == 409
    assert call(f"{base}/stepup/challenges/otp/SMS/verify", {"verificationCode": sms["code"]}, headers=auth)[0] == 204
    sca_sandbox.expect_request(operation="weavr.multi_stepup.verify", status=204)


def test_solaris_a_transfer_held_as_a_change_request_signed_on_a_virtual_device(sca_sandbox):
    base = sca_sandbox.provider_url("solaris")
    basic = base64.b64encode(b"solaris-client:solaris-secret").decode()
    _, token = call(f"{base}/oauth2/token", form={"grant_type": "client_credentials", "scope": "partners"},
                    headers={"authorization": f"Basic {basic}"})
    auth = {"authorization": f"Bearer {token['access_token']}"}
    device = sca_sandbox.solaris.bind_device("person-1", key_purpose="restricted")
    status, held = call(
        f"{base}/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer",
        {"amount": {"value": 1000, "unit": "cents", "currency": "EUR"}, "recipient_name": "Jane Doe",
         "recipient_iban": "DE89370400440532013000", "description": "Invoice 42"},
        headers=auth,
    )
    assert status == 202
    status, authorized = call(
        f"{base}/v1/change_requests/{held['id']}/authorize",
        {"person_id": "person-1", "delivery_method": "device_signing", "device_id": device["id"]}, headers=auth,
    )
    assert status == 201
    signature = sca_sandbox.solaris.sign(device["id"], authorized["string_to_sign"])
    assert re.fullmatch(r"30[0-9a-f]+", signature)
    status, confirmed = call(
        f"{base}/v1/change_requests/{held['id']}/confirm", {"device_id": device["id"], "signature": signature},
        headers=auth,
    )
    assert (status, confirmed["status"]) == (201, "COMPLETED")


def test_thredd_approval_in_the_app_and_the_fallback_otp_after_a_step_up(sca_sandbox):
    quiet = {"notify_initiate_action_url": "http://127.0.0.1:9/none"}
    approved = sca_sandbox.thredd.purchase(pubtoken=812561666, amount=1000, currency="GBP", **quiet)
    assert approved["state"] == "AWAITING_VALIDATION"
    assert sca_sandbox.thredd.approve_in_app(approved["id"])["state"] == "AUTHENTICATED"
    with pytest.raises(SandboxError) as again:
        sca_sandbox.thredd.fail_in_app(approved["id"])
    assert (again.value.status, again.value.code) == (409, "not_awaiting_validation")

    stepped = sca_sandbox.thredd.purchase(pubtoken=812561666, amount=2500, currency="EUR", **quiet)
    assert sca_sandbox.thredd.answer_in_app(stepped["id"], "STEPUP")["state"] == "AWAITING_OTP"
    sms = sca_sandbox.wait_for_sms("+447700900456", provider="thredd")
    assert sms["reference"] == stepped["id"]
    assert sca_sandbox.thredd.enter_otp(stepped["id"], sms["code"])["state"] == "AUTHENTICATED"
    assert sca_sandbox.thredd.get(stepped["id"])["outcome"] == "STEPUP"


def test_tenants_are_isolated_and_a_released_one_comes_back_fresh(sca_sandbox_server):
    a = sca_sandbox_server.tenant(scenario="settings:\n  shine:\n    action_request_ttl: 1m\n")
    b = sca_sandbox_server.tenant()
    assert a.name != b.name
    a.send_sms("+15550000", "only in a")
    assert len(a.sms(to="+15550000")) == 1
    assert b.sms(to="+15550000") == []
    a.clock.set("2030-01-01T00:00:00Z")
    assert b.clock.now().year < 2030
    b.release()
    a.release()
    again = sca_sandbox_server.tenant()
    assert again.name == a.name
    assert again.sms() == []
    assert again.clock.get()["frozen"] is False
    assert again.scenarios()["active"]["library_name"] == "default"
    again.release()


def test_a_bad_scenario_is_refused_with_its_line_and_waiting_for_nothing_gives_up(sca_sandbox):
    with pytest.raises(SandboxError) as refused:
        sca_sandbox.load_scenario("settings:\n  shine:\n    action_request_ttl: soon\n")
    assert refused.value.status == 400
    assert refused.value.body["error"]["line"] == 3
    with pytest.raises(TimeoutError, match=r"no SMS to \+15559999"):
        sca_sandbox.wait_for_sms("+15559999", timeout="300ms")
    with pytest.raises(AssertionError, match="no request matching"):
        sca_sandbox.expect_request(operation="shine.transfer.create")


def test_the_report_names_a_broken_rule_and_expect_no_deviations_raises(sca_sandbox):
    """A token reused on Shine is a deviation: the report names its rule,
    and expect_no_deviations raises with it."""
    sca_sandbox.expect_no_deviations()
    shine = sca_sandbox.provider_url("shine")
    request_id = shine_request(sca_sandbox)
    sca_sandbox.shine.confirm(request_id)
    _, poll = call(
        f"{shine}/v2/authentication/oauth2/action_request/{request_id}/poll"
        "?client_id=shine-client&client_secret=shine-secret",
        method="GET",
    )
    headers = {"authorization": "Bearer shine-user-1-token", "short-lived-token": poll["data"]["token"]}
    call(f"{shine}/v3/bank/transfers", PAYLOAD, headers=headers)
    sca_sandbox.expect_no_deviations(severity="warning")
    call(f"{shine}/v3/bank/transfers", PAYLOAD, headers=headers)
    with pytest.raises(AssertionError, match="shine.token.reused"):
        sca_sandbox.expect_no_deviations()
    assert "<testsuites" in sca_sandbox.report("junit")
