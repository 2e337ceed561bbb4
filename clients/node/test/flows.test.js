// One whole flow per provider, played with the kit against the real binary,
// each test in a tenant of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SandboxError, startSandbox } from '../index.js';
import { bin, http } from './support.js';

let sandbox;
before(async () => { sandbox = await startSandbox({ bin }); });
after(async () => { await sandbox.stop(); });

async function withTenant(fn, options) {
  const tenant = await sandbox.tenant(options);
  try { await fn(tenant); } finally { await tenant.release(); }
}

test('Shine: the user confirms in the app and the token unlocks the transfer once', () => withTenant(async (t) => {
  const shine = t.providerUrl('shine');
  const payload = { amount: 234, bankTransferRecipientId: 'recipient-1', uid: 'user-1' };
  const created = await http(`${shine}/v2/authentication/oauth2/action_request`, {
    body: { action: 'bank:transfers:create', client_id: 'shine-client', client_secret: 'shine-secret', uid: 'user-1', payload },
  });
  assert.equal(created.status, 200);
  const id = created.body.data.authenticationActionRequestId;
  assert.deepEqual((await t.shine.actionRequests('PENDING')).map((r) => r.authenticationActionRequestId ?? r.id), [id]);
  await t.shine.confirm(id);
  const poll = await http(`${shine}/v2/authentication/oauth2/action_request/${id}/poll?client_id=shine-client&client_secret=shine-secret`, { method: 'GET' });
  assert.equal(poll.body.data.status, 'CONFIRMED');
  const transfer = (token) => http(`${shine}/v3/bank/transfers`, {
    body: payload, headers: { authorization: 'Bearer shine-user-1-token', 'short-lived-token': token },
  });
  assert.equal((await transfer(poll.body.data.token)).status, 201);
  const again = await transfer(poll.body.data.token);
  assert.equal(again.status, 403);
  assert.equal(again.body.code, 'short_lived_token_used');
  await t.expectRequest({ operation: 'shine.transfer.create', status: 201 });
  await t.expectEvent('token.used');
}));

test('Shine: past expiresAt on the sandbox clock the user can no longer confirm', () => withTenant(async (t) => {
  await t.clock.freeze();
  const created = await http(`${t.providerUrl('shine')}/v2/authentication/oauth2/action_request`, {
    body: { action: 'bank:transfers:create', client_id: 'shine-client', client_secret: 'shine-secret', uid: 'user-1', payload: { amount: 1, bankTransferRecipientId: 'recipient-1', uid: 'user-1' } },
  });
  const id = created.body.data.authenticationActionRequestId;
  const before = await t.clock.now();
  const moved = await t.clock.advance('4m');
  assert.equal(moved.now - before, 240000);
  await assert.rejects(t.shine.confirm(id), (e) => e instanceof SandboxError && e.status === 409);
  assert.equal((await t.shine.actionRequests('EXPIRED')).length, 1);
}));

test('Intergiro: 412, the hosted page with the passcode, the redirect back, then the payment', () => withTenant(async (t) => {
  const base = t.providerUrl('intergiro');
  const login = await http(`${base}/v3/auth/login`, { body: { api_key: 'intergiro-sandbox-key' } });
  const auth = { authorization: `Bearer ${login.body.access_token}` };
  const pay = { request_id: 'r-1', account_id: 'acc-1', amount: 1000, reference: 'INV-1', counterparty: { name: 'Jane Doe', account: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } } };
  const first = await http(`${base}/v3/transactions/pay`, { body: pay, headers: auth });
  assert.equal(first.status, 412);
  const consent = first.body.consent.id;
  const started = await http(`${base}/v3/consents/${consent}`, { body: { return_url: 'https://shop.example/back' }, headers: auth });
  const wrong = t.intergiro.submitPage(started.body.method.redirect_url, { passcode: '0000' });
  await assert.rejects(wrong, /did not redirect \(422\)/);
  const back = new URL(await t.intergiro.submitPage(started.body.method.redirect_url));
  assert.equal(back.origin, 'https://shop.example');
  assert.equal(back.searchParams.get('status'), 'approved');
  assert.equal(back.searchParams.get('consent_id'), consent);
  const paid = await http(`${base}/v3/transactions/pay`, { body: pay, headers: auth });
  assert.equal(paid.status, 200);
  await t.expectEvent('consent.approved', { subject: consent });
}));

test('Intergiro: a declined consent through the control API refuses the action', () => withTenant(async (t) => {
  const base = t.providerUrl('intergiro');
  const login = await http(`${base}/v3/auth/login`, { body: { api_key: 'intergiro-sandbox-key' } });
  const auth = { authorization: `Bearer ${login.body.access_token}` };
  const first = await http(`${base}/v3/cards/card-1/activate`, { headers: auth });
  assert.equal(first.status, 412);
  const declined = await t.intergiro.decline(first.body.consent.id);
  assert.equal(declined.status, 'declined');
  const refused = await http(`${base}/v3/cards/card-1/activate`, { headers: auth });
  assert.equal(refused.status, 403);
  // The review decides only once the individual has sent the onboarding form.
  await assert.rejects(t.intergiro.blockIndividual('ind-1'), (e) => e instanceof SandboxError && e.status === 409);
  await assert.rejects(t.intergiro.activateIndividual('nobody'), (e) => e instanceof SandboxError && e.status === 404);
}));

test('Weavr: the step-up OTP arrives by SMS and verifies', () => withTenant(async (t) => {
  const base = `${t.providerUrl('weavr')}/multi`;
  const key = { 'api-key': 'weavr-sandbox-key' };
  const login = await http(`${base}/login_with_password`, { body: { email: 'buyer@example.com', password: { value: 'Passw0rd!' } }, headers: key });
  assert.equal(login.status, 200);
  const auth = { ...key, authorization: `Bearer ${login.body.token}` };
  const sent = await http(`${base}/stepup/challenges/otp/SMS`, { headers: auth });
  assert.equal(sent.status, 204);
  const sms = await t.waitForSms('+447700900123', { provider: 'weavr' });
  assert.match(sms.code, /^\d{6}$/);
  const wrong = await http(`${base}/stepup/challenges/otp/SMS/verify`, { body: { verificationCode: sms.code === '000000' ? '111111' : '000000' }, headers: auth });
  assert.equal(wrong.status, 409);
  const verified = await http(`${base}/stepup/challenges/otp/SMS/verify`, { body: { verificationCode: sms.code }, headers: auth });
  assert.equal(verified.status, 204);
  await t.expectRequest({ operation: 'weavr.multi_stepup.verify', status: 204 });
}));

test('Solaris: a transfer held as a change request, signed on a virtual device', () => withTenant(async (t) => {
  const base = t.providerUrl('solaris');
  const token = await http(`${base}/oauth2/token`, {
    form: { grant_type: 'client_credentials', scope: 'partners' },
    headers: { authorization: `Basic ${Buffer.from('solaris-client:solaris-secret').toString('base64')}` },
  });
  const auth = { authorization: `Bearer ${token.body.access_token}` };
  const device = await t.solaris.bindDevice('person-1', { keyPurpose: 'restricted' });
  const held = await http(`${base}/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer`, {
    body: { amount: { value: 1000, unit: 'cents', currency: 'EUR' }, recipient_name: 'Jane Doe', recipient_iban: 'DE89370400440532013000', description: 'Invoice 42' },
    headers: auth,
  });
  assert.equal(held.status, 202);
  const authorized = await http(`${base}/v1/change_requests/${held.body.id}/authorize`, {
    body: { person_id: 'person-1', delivery_method: 'device_signing', device_id: device.id }, headers: auth,
  });
  assert.equal(authorized.status, 201);
  const signature = await t.solaris.sign(device.id, authorized.body.string_to_sign);
  assert.match(signature, /^30[0-9a-f]+$/);
  const confirmed = await http(`${base}/v1/change_requests/${held.body.id}/confirm`, {
    body: { device_id: device.id, signature }, headers: auth,
  });
  assert.equal(confirmed.status, 201);
  assert.equal(confirmed.body.status, 'COMPLETED');
}));

test('Thredd: approval in the app, and the fallback OTP after a step-up', () => withTenant(async (t) => {
  const quiet = { notify_initiate_action_url: 'http://127.0.0.1:9/none' };
  const approved = await t.thredd.purchase({ pubtoken: 812561666, amount: 1000, currency: 'GBP', merchant: { name: 'Amazon' }, ...quiet });
  assert.equal(approved.state, 'AWAITING_VALIDATION');
  assert.equal((await t.thredd.approveInApp(approved.id)).state, 'AUTHENTICATED');
  await assert.rejects(t.thredd.failInApp(approved.id), (e) => e.status === 409 && e.code === 'not_awaiting_validation');

  const stepped = await t.thredd.purchase({ pubtoken: 812561666, amount: 2500, currency: 'EUR', ...quiet });
  assert.equal((await t.thredd.answerInApp(stepped.id, 'STEPUP')).state, 'AWAITING_OTP');
  const sms = await t.waitForSms('+447700900456', { provider: 'thredd' });
  assert.equal(sms.reference, stepped.id);
  assert.equal((await t.thredd.enterOtp(stepped.id, sms.code)).state, 'AUTHENTICATED');
  assert.equal((await t.thredd.get(stepped.id)).outcome, 'STEPUP');
}));

test('tenants are isolated, and a released one comes back fresh on the starting scenario', async () => {
  const a = await sandbox.tenant({ scenario: 'settings:\n  shine:\n    action_request_ttl: 1m\n' });
  const b = await sandbox.tenant();
  assert.notEqual(a.name, b.name);
  await a.sendSms({ to: '+15550000', text: 'only in a' });
  assert.equal((await a.sms({ to: '+15550000' })).length, 1);
  assert.equal((await b.sms({ to: '+15550000' })).length, 0);
  await a.clock.set('2030-01-01T00:00:00Z');
  assert.equal((await b.clock.now()).getUTCFullYear() < 2030, true);
  await b.release();
  await a.release();
  const again = await sandbox.tenant();
  assert.equal(again.name, a.name);
  assert.equal((await again.sms()).length, 0);
  assert.equal((await again.clock.get()).frozen, false);
  assert.equal((await again.scenarios()).active.library_name, 'default');
  await again.release();
});

test('a bad scenario is refused with its line and column, and waiting for an SMS that never comes gives up', () => withTenant(async (t) => {
  await assert.rejects(t.loadScenario('settings:\n  shine:\n    action_request_ttl: soon\n'), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.body.error.line, 3);
    assert.ok(e.body.error.column > 0);
    return true;
  });
  await assert.rejects(t.waitForSms('+15559999', { timeout: '300ms' }), /no SMS to \+15559999 within 300ms/);
  await assert.rejects(t.expectRequest({ operation: 'shine.transfer.create' }), /no request matching/);
}));

test('the report names a broken rule and expectNoDeviations throws with it', () => withTenant(async (t) => {
  await t.expectNoDeviations();
  const shine = t.providerUrl('shine');
  const payload = { amount: 234, bankTransferRecipientId: 'recipient-1', uid: 'user-1' };
  const created = await http(`${shine}/v2/authentication/oauth2/action_request`, {
    body: { action: 'bank:transfers:create', client_id: 'shine-client', client_secret: 'shine-secret', uid: 'user-1', payload },
  });
  const id = created.body.data.authenticationActionRequestId;
  await t.shine.confirm(id);
  const poll = await http(`${shine}/v2/authentication/oauth2/action_request/${id}/poll?client_id=shine-client&client_secret=shine-secret`, { method: 'GET' });
  const transfer = () => http(`${shine}/v3/bank/transfers`, {
    body: payload, headers: { authorization: 'Bearer shine-user-1-token', 'short-lived-token': poll.body.data.token },
  });
  await transfer();
  await t.expectNoDeviations({ severity: 'warning' });
  await transfer();
  await assert.rejects(t.expectNoDeviations(), /shine\.token\.reused/);
  assert.match(await t.report('markdown'), /shine\.token\.reused/);
}));
