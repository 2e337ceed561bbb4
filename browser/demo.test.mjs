// The dashboard in front of a demo audience: pending items say what they are
// about (amount, payee, merchant), times read relative to the sandbox clock
// with the exact time on hover, IBANs come in groups of four, card numbers
// are masked, the Intergiro page hints the passcode only in the default
// world, and the page fits a laptop and a phone. Screenshots of each go to
// ARTIFACTS.

import assert from 'node:assert/strict';
import { artifacts, call, run, startSandbox } from './harness.mjs';

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };
const EXACT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/;

async function intergiro(base) {
  const api = (path, { token, body, method } = {}) => call(`${base}/intergiro${path}`, {
    body, method, headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const token = (await api('/v3/auth/login', { body: { api_key: 'intergiro-sandbox-key' } })).body.access_token;
  return { api, token };
}

/** One pending item of each kind, so the page shows a busy demo. */
async function busyWorld(base) {
  const shine = await call(`${base}/shine/v2/authentication/oauth2/action_request`, {
    body: {
      action: 'bank:transfers:create', client_id: 'shine-client', client_secret: 'shine-secret', uid: 'user-1',
      payload: { amount: 234, bankTransferRecipientId: 'recipient-1', uid: 'user-1' },
    },
  });
  const solarisToken = (await call(`${base}/solaris/oauth/token`, {
    body: { grant_type: 'client_credentials', client_id: 'solaris-client', client_secret: 'solaris-secret' },
  })).body.access_token;
  const solaris = await call(`${base}/solaris/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer`, {
    headers: { authorization: `Bearer ${solarisToken}` },
    body: {
      amount: { value: 4250, unit: 'cents', currency: 'EUR' },
      recipient_name: 'Hausverwaltung Berlin', recipient_iban: 'DE89370400440532013000', description: 'Rent',
    },
  });
  const thredd = await call(`${base}/__admin/thredd/authentications`, {
    body: { pubtoken: 812561666, amount: 1999, currency: 'GBP', merchant: { name: 'Amazon' }, notify_initiate_action_url: 'http://127.0.0.1:9/none' },
  });
  const { api, token } = await intergiro(base);
  const payment = await api('/v3/transactions/pay', {
    token,
    body: {
      request_id: `demo-${Date.now()}`, account_id: 'acc-1', amount: 5000, reference: 'Order 7',
      counterparty: { name: 'Acme GmbH', account: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
    },
  });
  const card = await api('/v3/cards/card-1/credentials', { token, method: 'GET' });
  return {
    shine: shine.body.data.authenticationActionRequestId,
    solaris: solaris.body.id,
    thredd: thredd.body.id,
    payment: payment.body.consent.id,
    card: card.body.consent.id,
    api,
    token,
  };
}

const row = (page, kind, id) => page.locator(`[data-testid=${kind}][data-id="${id}"]`);
const text = async (locator, testId) => (await locator.getByTestId(testId).textContent()).trim();

const tests = [
  ['pending items show the amount and payee, IBANs grouped by four, cards masked', async ({ base, page }) => {
    const world = await busyWorld(base);
    await page.setViewportSize(LAPTOP);
    await page.goto(`${base}/`);
    const shine = row(page, 'shine-row', world.shine);
    assert.equal(await text(shine, 'pending-amount'), '234.00 EUR');
    assert.equal(await text(shine, 'pending-payee'), 'Jane Doe');
    assert.equal(await text(shine, 'pending-iban'), 'FR76 3000 6000 0112 3456 7890 189');
    const solaris = row(page, 'cr-row', world.solaris);
    assert.equal(await text(solaris, 'pending-title'), 'SEPA credit transfer');
    assert.equal(await text(solaris, 'pending-amount'), '42.50 EUR');
    assert.equal(await text(solaris, 'pending-payee'), 'Hausverwaltung Berlin');
    assert.equal(await text(solaris, 'pending-iban'), 'DE89 3704 0044 0532 0130 00');
    const thredd = row(page, 'thredd-row', world.thredd);
    assert.equal(await text(thredd, 'pending-amount'), '19.99 GBP');
    assert.equal(await text(thredd, 'pending-payee'), 'Amazon');
    const consent = row(page, 'consent-row', world.payment);
    assert.equal(await text(consent, 'pending-title'), 'Confirm payment');
    assert.equal(await text(consent, 'pending-amount'), '50.00 EUR');
    assert.equal(await text(consent, 'pending-payee'), 'Acme GmbH');
    assert.equal(await text(row(page, 'consent-row', world.card), 'pending-card'), '•••• 1115 (card-1)');
    assert.ok(!(await page.content()).includes('5555341244441115'), 'no full card number on the page');
    await page.screenshot({ path: `${artifacts}/demo-pending-laptop.png`, fullPage: true });
  }],
  ['times are relative to the sandbox clock, with the exact time on hover', async ({ base, page }) => {
    await call(`${base}/__admin/clock`, { body: { frozen: true } });
    const created = await call(`${base}/shine/v2/authentication/oauth2/action_request`, {
      body: {
        action: 'bank:transfers:create', client_id: 'shine-client', client_secret: 'shine-secret', uid: 'user-1',
        payload: { amount: 1, bankTransferRecipientId: 'recipient-1', uid: 'user-1' },
      },
    });
    const id = created.body.data.authenticationActionRequestId;
    await call(`${base}/__admin/sms`, { body: { to: '+447700900999', text: 'Your code is 424242', code: '424242' } });
    await page.goto(`${base}/`);
    const when = row(page, 'shine-row', id).getByTestId('when');
    assert.equal((await when.textContent()).trim(), 'in 3 min');
    assert.match(await when.getAttribute('title'), EXACT);
    assert.equal((await when.getAttribute('datetime')).slice(0, 19), created.body.data.expiresAt.slice(0, 19));
    await when.hover();
    const sent = page.locator('[data-testid=sms-message][data-to="+447700900999"]').getByTestId('when');
    assert.equal((await sent.textContent()).trim(), 'now');
    await page.getByTestId('clock-advance-1m').click();
    await page.getByTestId('notice').waitFor();
    assert.equal((await row(page, 'shine-row', id).getByTestId('when').textContent()).trim(), 'in 2 min');
    assert.equal((await sent.textContent()).trim(), '1 min ago');
    await page.getByTestId('nav-journal').click();
    await page.getByTestId('journal').waitFor();
    const first = page.locator('[data-testid=journal-row]').first().getByTestId('when');
    assert.match((await first.textContent()).trim(), /^(now|\d+ (s|min) ago)$/);
    assert.match(await first.getAttribute('title'), EXACT);
    await call(`${base}/__admin/clock`, { body: { frozen: false } });
  }],
  ['the consent page groups the IBAN and hints the demo passcode in the default world only', async ({ base, page }) => {
    const { api, token } = await intergiro(base);
    const asked = await api('/v3/transactions/pay', {
      token,
      body: {
        request_id: `hint-${Date.now()}`, account_id: 'acc-1', amount: 1200, reference: 'Hint',
        counterparty: { name: 'Jane Doe', account: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
      },
    });
    const started = await api(`/v3/consents/${asked.body.consent.id}`, { token, body: { return_url: 'https://shop.example/back' } });
    await page.goto(started.body.method.redirect_url);
    assert.equal(await text(page, 'consent-iban'), 'DE89 3704 0044 0532 0130 00');
    assert.equal(await text(page, 'passcode-hint'), 'Sandbox demo passcode: 1234');
    await page.screenshot({ path: `${artifacts}/demo-consent-hint.png`, fullPage: true });

    // A tenant on its own scenario: the passcode is its author's to know.
    const tenant = `${base}/t/own-world`;
    const loaded = await fetch(`${base}/__admin/tenants/own-world/scenario`, {
      method: 'PUT', headers: { 'content-type': 'application/yaml' },
      body: 'name: own\nsettings:\n  intergiro:\n    passcode: "8642"\n',
    });
    assert.equal(loaded.status, 200);
    const own = (path, body, t) => call(`${tenant}/intergiro${path}`, { body, headers: t ? { authorization: `Bearer ${t}` } : {} });
    const ownToken = (await own('/v3/auth/login', { api_key: 'intergiro-sandbox-key' })).body.access_token;
    const card = await call(`${tenant}/intergiro/v3/cards/card-1/activate`, { headers: { authorization: `Bearer ${ownToken}` } });
    const ownStarted = await own(`/v3/consents/${card.body.consent.id}`, { return_url: 'https://shop.example/back' }, ownToken);
    await page.goto(ownStarted.body.method.redirect_url);
    await page.getByTestId('consent-page').waitFor();
    assert.equal(await page.getByTestId('passcode-hint').count(), 0);
    assert.equal(await text(page, 'consent-card'), '•••• 1115 (card-1)');
  }],
  ['the page fills a laptop screen and fits a phone', async ({ base, page }) => {
    await busyWorld(base);
    const layout = () => page.evaluate(() => {
      const box = (id) => document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
      const inbox = box('sms-inbox');
      const pending = box('pending');
      return {
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        inbox: { left: inbox.left, top: inbox.top, width: inbox.width },
        pending: { left: pending.left, top: pending.top, width: pending.width },
        width: window.innerWidth,
      };
    });
    await page.setViewportSize(LAPTOP);
    await page.goto(`${base}/`);
    const laptop = await layout();
    assert.ok(laptop.overflow <= 0, `no sideways scrolling on a laptop (${laptop.overflow}px)`);
    assert.equal(laptop.inbox.top, laptop.pending.top, 'side by side');
    assert.ok(laptop.pending.left > laptop.inbox.left + laptop.inbox.width, 'pending work on the right');
    assert.ok(laptop.pending.width > laptop.inbox.width, 'pending work gets the room');
    assert.ok(laptop.inbox.width + laptop.pending.width > laptop.width * 0.85, 'the sections fill the screen');
    await page.screenshot({ path: `${artifacts}/demo-laptop.png` });

    await page.setViewportSize(PHONE);
    await page.goto(`${base}/`);
    const phone = await layout();
    assert.ok(phone.overflow <= 0, `no sideways scrolling on a phone (${phone.overflow}px)`);
    assert.ok(phone.pending.top > phone.inbox.top, 'stacked');
    assert.ok(phone.pending.width > phone.width * 0.85, 'each section takes the width');
    const button = await page.getByTestId('shine-confirm').first().boundingBox();
    assert.ok(button.height >= 30, `buttons big enough to tap (${button.height}px)`);
    await page.screenshot({ path: `${artifacts}/demo-phone.png`, fullPage: true });
  }],
];

const { child, base } = await startSandbox();
let ok = false;
try {
  ok = await run('demo', tests, { base });
} finally {
  child.kill();
}
process.exit(ok ? 0 : 1);
