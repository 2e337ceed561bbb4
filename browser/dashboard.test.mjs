// The dashboard in a real browser: a whole demo played from the pages.
// Confirm a Shine action request and spend its token; read a Weavr code in
// the inbox and step up with it; approve an Intergiro consent through the
// hosted page; move the clock on and watch a Solaris change request expire.
// Screenshots of each page go to ARTIFACTS.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, call, run, startSandbox, startShop } from './harness.mjs';

// The demo world, with random Weavr codes so the inbox is the only way to
// know them.
const dir = mkdtempSync(join(tmpdir(), 'sca-dashboard-'));
const scenario = join(dir, 'demo.yaml');
writeFileSync(scenario, 'name: dashboard-demo\nusers:\n  weavr: { otp: random }\n');

const MARKUP = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

async function shineRequest(base) {
  const created = await call(`${base}/shine/v2/authentication/oauth2/action_request`, {
    body: {
      action: 'bank:transfers:create', client_id: 'shine-client', client_secret: 'shine-secret', uid: 'user-1',
      payload: { amount: 234, bankTransferRecipientId: 'recipient-1', uid: 'user-1' },
    },
  });
  assert.equal(created.status, 200);
  return created.body.data.authenticationActionRequestId;
}

const tests = [
  ['confirm a Shine action request from the dashboard, then use the token', async ({ base, page }) => {
    const id = await shineRequest(base);
    await page.goto(`${base}/`);
    const row = page.locator(`[data-testid=shine-row][data-id="${id}"]`);
    await page.screenshot({ path: `${artifacts}/dashboard-home.png`, fullPage: true });
    await row.getByTestId('shine-confirm').click();
    await page.getByTestId('notice').waitFor();
    assert.equal(await page.getByTestId('notice').textContent(), 'Action request decided');
    assert.equal(await row.count(), 0);
    const polled = await call(
      `${base}/shine/v2/authentication/oauth2/action_request/${id}/poll?client_id=shine-client&client_secret=shine-secret`,
      { method: 'GET' },
    );
    assert.equal(polled.body.data.status, 'CONFIRMED');
    const transfer = await call(`${base}/shine/v3/bank/transfers`, {
      headers: { authorization: 'Bearer shine-user-1-token', 'short-lived-token': polled.body.data.token },
      body: { amount: 234, bankTransferRecipientId: 'recipient-1', uid: 'user-1' },
    });
    assert.equal(transfer.status, 201, JSON.stringify(transfer.body));
  }],
  ['read a Weavr code in the inbox and step up with it', async ({ base, page }) => {
    const weavr = (path, { token, body } = {}) => call(`${base}/weavr/payment-run/v1${path}`, {
      body,
      headers: { 'api-key': 'weavr-sandbox-key', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const login = await weavr('/login_with_password', { body: { email: 'buyer@example.com', password: { value: 'Passw0rd!' } } });
    const token = login.body.token;
    assert.equal((await weavr('/stepup/challenges/otp/SMS', { token })).status, 204);
    await page.goto(`${base}/`);
    const message = page.locator('[data-testid=sms-message][data-to="+447700900123"]').first();
    const code = await message.getByTestId('sms-code').textContent();
    assert.match(code, /^\d{6}$/);
    const verified = await weavr('/stepup/challenges/otp/SMS/verify', { token, body: { verificationCode: code } });
    assert.equal(verified.status, 204);
  }],
  ['approve an Intergiro consent from the dashboard', async ({ base, shopUrl, page }) => {
    const api = (path, { token, body } = {}) => call(`${base}/intergiro${path}`, {
      body, headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const token = (await api('/v3/auth/login', { body: { api_key: 'intergiro-sandbox-key' } })).body.access_token;
    const payment = {
      request_id: 'dash-1', account_id: 'acc-1', amount: 5000, reference: 'Order 7',
      counterparty: { name: 'Acme GmbH', account: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
    };
    const asked = await api('/v3/transactions/pay', { token, body: payment });
    assert.equal(asked.status, 412);
    const id = asked.body.consent.id;
    await api(`/v3/consents/${id}`, { token, body: { return_url: `${shopUrl}/done` } });
    await page.goto(`${base}/`);
    await page.locator(`[data-testid=consent-row][data-id="${id}"]`).getByTestId('consent-link').click();
    await page.getByTestId('consent-page').waitFor();
    await page.getByTestId('passcode').fill('1234');
    await page.getByTestId('approve').click();
    await page.waitForURL(/\/done\?/);
    assert.equal(await page.getByTestId('shop-status').textContent(), 'status=approved');
    assert.equal((await api('/v3/transactions/pay', { token, body: payment })).status, 200);
  }],
  ['move the clock on and watch a Solaris change request expire', async ({ base, page }) => {
    const auth = await call(`${base}/solaris/oauth/token`, {
      body: { grant_type: 'client_credentials', client_id: 'solaris-client', client_secret: 'solaris-secret' },
    });
    const held = await call(`${base}/solaris/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer`, {
      headers: { authorization: `Bearer ${auth.body.access_token}` },
      body: {
        amount: { value: 100, unit: 'cents', currency: 'EUR' },
        recipient_name: 'Jane Doe', recipient_iban: 'DE89370400440532013000', description: 'Rent',
      },
    });
    assert.equal(held.status, 202);
    const id = held.body.id;
    await page.goto(`${base}/`);
    const row = page.locator(`[data-testid=cr-row][data-id="${id}"]`);
    assert.equal(await row.count(), 1);
    const before = await page.getByTestId('clock-now').textContent();
    await page.getByTestId('clock-advance-5m').click();
    await page.getByTestId('notice').waitFor();
    assert.notEqual(await page.getByTestId('clock-now').textContent(), before);
    assert.equal(await row.count(), 0);
    await page.getByTestId('nav-timeline').click();
    await page.getByTestId('timeline').waitFor();
    const expired = page.locator('[data-testid=event-row][data-type="change_request.expired"]');
    assert.equal(await expired.count(), 1);
    assert.ok((await expired.textContent()).includes(id));
    await page.screenshot({ path: `${artifacts}/dashboard-timeline.png`, fullPage: true });
    await page.getByTestId('nav-journal').click();
    await page.getByTestId('journal').waitFor();
    await page.screenshot({ path: `${artifacts}/dashboard-journal.png`, fullPage: true });
  }],
  ['a demo audience reads words, times on one line, and the whole journal on a phone', async ({ base, page }) => {
    await shineRequest(base);
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${base}/`);
    const words = page.locator('[data-testid=shine-row] [data-testid=pending-words]').first();
    assert.equal(await words.textContent(), 'Bank transfer');
    assert.equal(await words.getAttribute('title'), 'bank:transfers:create');
    const pending = await page.getByTestId('pending-shine').textContent();
    assert.ok(!pending.includes('bank:transfers:create'), pending);
    // A relative time never breaks over two lines.
    const when = page.locator('[data-testid=shine-row] [data-testid=when]').first();
    assert.equal(await when.evaluate((el) => getComputedStyle(el).whiteSpace), 'nowrap');
    await page.screenshot({ path: `${artifacts}/dashboard-words-1366.png`, fullPage: true });
    // On a phone every column of the journal is there, scrolled within its
    // box; the page itself does not overflow.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${base}/journal`);
    await page.getByTestId('journal').waitFor();
    const hidden = await page.evaluate(() => [...document.querySelectorAll('[data-testid=journal] th')]
      .filter((th) => getComputedStyle(th).display === 'none').length);
    assert.equal(hidden, 0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page overflows by ${overflow}px`);
    await page.screenshot({ path: `${artifacts}/dashboard-journal-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }],
  ['markup a user set shows as text and runs nothing', async ({ base, page }) => {
    await call(`${base}/__admin/sms`, { body: { to: MARKUP, text: MARKUP, code: '111111', purpose: MARKUP, reference: MARKUP } });
    let dialogs = 0;
    page.on('dialog', (dialog) => { dialogs += 1; dialog.dismiss(); });
    for (const path of ['/', '/timeline', '/journal']) {
      await page.goto(`${base}${path}`);
      assert.equal(await page.evaluate(() => window.pwned), undefined, path);
    }
    await page.goto(`${base}/`);
    const message = page.locator(`[data-testid=sms-message][data-to="${MARKUP.replaceAll('"', '\\"')}"]`);
    assert.ok((await message.textContent()).includes(MARKUP));
    assert.equal(dialogs, 0);
  }],
];

const { child, base } = await startSandbox(['--scenario', scenario]);
const shop = await startShop();
const shopUrl = `http://127.0.0.1:${shop.address().port}`;
let ok = false;
try {
  ok = await run('dashboard', tests, { base, shopUrl });
} finally {
  shop.close();
  child.kill();
}
process.exit(ok ? 0 : 1);
