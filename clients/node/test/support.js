// The binary under test: SCA_SANDBOX_BIN, else the repository's release build.
import { fileURLToPath } from 'node:url';

export const bin = process.env.SCA_SANDBOX_BIN
  ?? fileURLToPath(new URL('../../../target/release/sca-sandbox', import.meta.url));

/** JSON in and out against a provider; resolves to `{status, body, headers}`. */
export async function http(url, { method = 'POST', body, form, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (form) {
    init.body = new URLSearchParams(form);
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, body: parsed, headers: res.headers };
}
