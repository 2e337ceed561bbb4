// Intergiro's hosted consent page in a real browser (Debian's chromium, driven
// by playwright-core): a payment asks for consent, the user types the passcode
// and approves, lands on the shop's return_url, and the repeated payment goes
// through. Run by .ci/run after `cargo test`; SANDBOX_BIN names the binary.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';

const bin = process.env.SANDBOX_BIN ?? '../target/debug/sca-sandbox';
const artifacts = process.env.ARTIFACTS ?? '../artifacts';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(artifacts, { recursive: true });

/** Starts the sandbox on a free port and resolves to its base URL. */
function startSandbox() {
  const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/[\d.:]+)/);
      if (match) resolve({ child, base: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

/** The shop's return_url: shows the query it was sent back with. */
function startShop() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://shop');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><p data-testid="shop-status">status=${url.searchParams.get('status')}</p>`
      + `<p data-testid="shop-consent">${url.searchParams.get('consent_id')}</p>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function api(base, path, { token, body, method = 'POST' } = {}) {
  const res = await fetch(`${base}/intergiro${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

function payment(requestId, payee) {
  return {
    request_id: requestId,
    account_id: 'acc-1',
    amount: 12345,
    reference: 'Invoice 42',
    counterparty: { name: payee, account: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
  };
}

/** Logs in, asks for a payment, initiates its consent; the redirect URL. */
async function consentFor(base, shopUrl, requestId, payee) {
  const login = await api(base, '/v3/auth/login', { body: { api_key: 'intergiro-sandbox-key' } });
  const token = login.body.access_token;
  const asked = await api(base, '/v3/transactions/pay', { token, body: payment(requestId, payee) });
  assert.equal(asked.status, 412);
  const consentId = asked.body.consent.id;
  const method = await api(base, `/v3/consents/${consentId}`, { token, body: { return_url: `${shopUrl}/done` } });
  assert.equal(method.status, 200);
  return { token, consentId, redirectUrl: method.body.method.redirect_url };
}

const tests = [
  ['a payment is approved on the consent page, then goes through', async ({ base, shopUrl, page }) => {
    const { token, consentId, redirectUrl } = await consentFor(base, shopUrl, 'browser-1', 'Acme GmbH');
    await page.goto(redirectUrl);
    await page.getByTestId('consent-page').waitFor();
    assert.equal(await page.getByTestId('consent-amount').textContent(), '123.45 EUR');
    assert.equal(await page.getByTestId('consent-payee').textContent(), 'Acme GmbH');
    await page.screenshot({ path: `${artifacts}/intergiro-consent.png`, fullPage: true });
    await page.getByTestId('passcode').fill('9999');
    await page.getByTestId('approve').click();
    await page.getByTestId('passcode-error').waitFor();
    await page.getByTestId('passcode').fill('1234');
    await page.getByTestId('approve').click();
    await page.waitForURL(/\/done\?/);
    assert.equal(await page.getByTestId('shop-status').textContent(), 'status=approved');
    assert.equal(await page.getByTestId('shop-consent').textContent(), consentId);
    await page.screenshot({ path: `${artifacts}/intergiro-return.png` });
    const paid = await api(base, '/v3/transactions/pay', { token, body: payment('browser-1', 'Acme GmbH') });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.status, 'pending');
  }],
  ['markup in a payee shows as text and runs nothing', async ({ base, shopUrl, page }) => {
    const payee = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const { redirectUrl } = await consentFor(base, shopUrl, 'browser-2', payee);
    let dialogs = 0;
    page.on('dialog', (dialog) => { dialogs += 1; dialog.dismiss(); });
    await page.goto(redirectUrl);
    assert.equal(await page.getByTestId('consent-payee').textContent(), payee);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(dialogs, 0);
  }],
  ['decline sends the user back with status=declined', async ({ base, shopUrl, page }) => {
    const { redirectUrl } = await consentFor(base, shopUrl, 'browser-3', 'Acme GmbH');
    await page.goto(redirectUrl);
    await page.getByTestId('decline').click();
    await page.waitForURL(/\/done\?/);
    assert.equal(await page.getByTestId('shop-status').textContent(), 'status=declined');
    await page.goto(redirectUrl);
    assert.equal(await page.getByTestId('message-title').textContent(), 'This link can no longer be used');
  }],
];

const { child, base } = await startSandbox();
const shop = await startShop();
const shopUrl = `http://127.0.0.1:${shop.address().port}`;
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let passed = 0;
let failed = 0;
try {
  for (const [name, run] of tests) {
    const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
    try {
      await run({ base, shopUrl, page });
      passed += 1;
      console.log(`ok - ${name}`);
    } catch (error) {
      failed += 1;
      console.log(`FAILED - ${name}\n${error.stack}`);
      await page.screenshot({ path: `${artifacts}/failed-${passed + failed}.png` }).catch(() => {});
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
  shop.close();
  child.kill();
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
