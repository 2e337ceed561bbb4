// Intergiro's hosted consent page in a real browser (Debian's chromium, driven
// by playwright-core): a payment asks for consent, the user types the passcode
// and approves, lands on the shop's return_url, and the repeated payment goes
// through. Run by .ci/run after `cargo test`.

import assert from 'node:assert/strict';
import { artifacts, call, run, startSandbox, startShop } from './harness.mjs';

function api(base, path, { token, body, method = 'POST' } = {}) {
  return call(`${base}/intergiro${path}`, {
    method,
    body,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
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
  ['the page speaks as a bank: words for the permission and the account, grouped money, one font', async ({ base, shopUrl, page }) => {
    const login = await api(base, '/v3/auth/login', { body: { api_key: 'intergiro-sandbox-key' } });
    const token = login.body.access_token;
    // An account's history: the page names the account, not its id.
    const asked = await api(base, '/v3/accounts/acc-1/transactions', { token, method: 'GET' });
    assert.equal(asked.status, 412);
    const method = await api(base, `/v3/consents/${asked.body.consent.id}`, { token, body: { return_url: `${shopUrl}/done` } });
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(method.body.method.redirect_url);
    assert.equal(await page.getByTestId('consent-account').textContent(), 'EUR account •••• 7466');
    assert.equal(await page.getByTestId('consent-scope').textContent(), "See your account's transactions");
    const text = await page.getByTestId('consent-page').textContent();
    assert.ok(!/acc-1|view_transactions|Permission/.test(text), text);
    // A large payment: thousands grouped, the IBAN on one line inside the card.
    const big = { ...payment('browser-big', 'Acme GmbH'), amount: 129900 };
    const pay = await api(base, '/v3/transactions/pay', { token, body: big });
    const payPage = await api(base, `/v3/consents/${pay.body.consent.id}`, { token, body: { return_url: `${shopUrl}/done` } });
    await page.goto(payPage.body.method.redirect_url);
    assert.equal(await page.getByTestId('consent-amount').textContent(), '1,299.00 EUR');
    const fits = await page.getByTestId('consent-iban').evaluate((el) => el.scrollWidth <= el.clientWidth);
    assert.ok(fits, 'the IBAN fits its line');
    const fonts = await page.evaluate(() => [
      getComputedStyle(document.body).fontFamily,
      getComputedStyle(document.querySelector('[data-testid=approve]')).fontFamily,
    ]);
    assert.equal(fonts[1], fonts[0]);
    await page.screenshot({ path: `${artifacts}/intergiro-consent-1366.png`, fullPage: true });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.screenshot({ path: `${artifacts}/intergiro-consent-phone.png`, fullPage: true });
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
let ok = false;
try {
  ok = await run('consent', tests, { base, shopUrl });
} finally {
  shop.close();
  child.kill();
}
process.exit(ok ? 0 : 1);
