// What the browser tests share: the sandbox binary on a free port, a shop
// that receives redirects, Debian's chromium, and a tiny runner that saves a
// screenshot of any page whose test fails. SANDBOX_BIN names the binary,
// ARTIFACTS the folder for screenshots.

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';

export const bin = process.env.SANDBOX_BIN ?? '../target/debug/sca-sandbox';
export const artifacts = process.env.ARTIFACTS ?? '../artifacts';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(artifacts, { recursive: true });

/** Starts the sandbox on a free port and resolves to its base URL. */
export function startSandbox(args = []) {
  // Warnings only: a line per request would bury the tests' own output.
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' };
  const child = spawn(bin, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
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
export function startShop() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://shop');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><p data-testid="shop-status">status=${url.searchParams.get('status')}</p>`
      + `<p data-testid="shop-consent">${url.searchParams.get('consent_id')}</p>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** JSON in and out; `headers` adds to the content type. */
export async function call(url, { body, method = 'POST', headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Runs `tests` ([name, fn] pairs) each in a fresh page; exits non-zero on failure. */
export async function run(label, tests, context) {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  let passed = 0;
  let failed = 0;
  try {
    for (const [name, test] of tests) {
      const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
      try {
        await test({ ...context, page });
        passed += 1;
        console.log(`ok - ${name}`);
      } catch (error) {
        failed += 1;
        console.log(`FAILED - ${name}\n${error.stack}`);
        await page.screenshot({ path: `${artifacts}/failed-${label}-${passed + failed}.png` }).catch(() => {});
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`browser (${label}): ${passed} passed, ${failed} failed`);
  return failed === 0;
}
