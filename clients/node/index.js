// The sca-sandbox test kit: runs the binary (or attaches to a running
// sandbox), gives each test its own tenant, and wraps the control API that
// plays the clock, the phone and the end user. No dependencies: node's own
// fetch and child_process.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { operations } from './operations.js';

export { operations };

/** A control API answer that was not a 2xx; `code` is the sandbox's error code. */
export class SandboxError extends Error {
  constructor(operationId, status, body) {
    const code = body?.error?.code ?? null;
    const message = body?.error?.message ?? (typeof body === 'string' ? body : JSON.stringify(body));
    super(`${operationId}: ${status}${code ? ` ${code}` : ''}: ${message}`);
    this.name = 'SandboxError';
    this.operationId = operationId;
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * Starts the sandbox binary on a free port, or attaches to `url` (or
 * SCA_SANDBOX_URL). The binary is `bin`, else SCA_SANDBOX_BIN, else
 * `sca-sandbox` on the PATH.
 */
export async function startSandbox(options = {}) {
  const url = options.url ?? process.env.SCA_SANDBOX_URL;
  const adminToken = options.adminToken ?? process.env.SCA_SANDBOX_ADMIN_TOKEN;
  if (url) {
    const sandbox = new Sandbox(url.replace(/\/+$/, ''), null, adminToken);
    await sandbox.start();
    return sandbox;
  }
  const bin = options.bin ?? process.env.SCA_SANDBOX_BIN ?? 'sca-sandbox';
  const args = ['--port', '0'];
  if (options.scenario) args.push('--scenario', options.scenario);
  if (adminToken) args.push('--admin-token', adminToken);
  args.push(...(options.args ?? []));
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', options.stderr ?? 'ignore'],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  // A test run that ends without stop() must not leave the binary behind.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} did not report its address within ${options.startTimeoutMs ?? 10000} ms`));
    }, options.startTimeoutMs ?? 10000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${bin} (set SCA_SANDBOX_BIN or the bin option): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited with ${code} before listening`));
    });
    child.stdout.on('data', (chunk) => {
      if (out === null) return;
      out += chunk;
      const match = out.match(/listening on (http:\/\/[^\s]+)/);
      if (match) {
        out = null;
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  child.removeAllListeners('exit');
  const sandbox = new Sandbox(base, child, adminToken, orphan);
  await sandbox.start();
  return sandbox;
}

/** A running sandbox: its URL, its tenants, and how to stop it. */
export class Sandbox {
  #child;
  #orphan;
  #free = [];
  #counter = 0;
  #baseline = null;

  constructor(url, child, adminToken, orphan) {
    this.url = url;
    this.adminToken = adminToken ?? null;
    this.#child = child;
    this.#orphan = orphan;
    /** The default tenant: what a client without a tenant prefix sees. */
    this.default = new Tenant(this, null);
  }

  /** Reads the scenario the sandbox started on, which recycled tenants go back to. */
  async start() {
    const info = await this.default.scenarios();
    this.#baseline = info.active?.library_name ?? null;
  }

  /**
   * A tenant of its own: fresh state, clock, outbox and journal. With
   * `scenario` (YAML text) it runs that scenario. Give it back with
   * `release()` so the next test can reuse it (a sandbox holds 1,024).
   */
  async tenant({ name, scenario } = {}) {
    let tenant;
    if (name) {
      tenant = new Tenant(this, name);
    } else if (this.#free.length > 0) {
      tenant = new Tenant(this, this.#free.pop());
    } else {
      this.#counter += 1;
      tenant = new Tenant(this, `kit-${process.pid}-${this.#counter}-${randomBytes(3).toString('hex')}`);
    }
    if (scenario !== undefined) await tenant.loadScenario(scenario);
    return tenant;
  }

  /** Puts a tenant back on the starting scenario, fresh, for reuse. */
  async recycle(tenant) {
    if (tenant.scenarioLoaded) {
      if (this.#baseline === null) return; // nothing to go back to: not reused
      await tenant.activateScenario(this.#baseline);
    }
    await tenant.reset();
    this.#free.push(tenant.name);
  }

  /** Stops the binary this kit started (an attached sandbox keeps running). */
  async stop() {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    this.#child = null;
    process.removeListener('exit', this.#orphan);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose]() {
    await this.stop();
  }
}

/** How long to long-poll: a number of milliseconds, or a duration such as `5s`. */
/** Whether `value` holds every field of `pattern` (objects by their own fields). */
function holds(value, pattern) {
  if (pattern === undefined) return true;
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    return JSON.stringify(value) === JSON.stringify(pattern);
  }
  return value !== null && typeof value === 'object'
    && Object.entries(pattern).every(([k, v]) => holds(value[k], v));
}

function millis(duration) {
  if (typeof duration === 'number') return duration;
  const match = /^(\d+)(ms|s|m|h)$/.exec(String(duration));
  if (!match) throw new TypeError(`not a duration: ${duration}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[match[2]];
}

function query(params) {
  const entries = Object.entries(params ?? {}).filter(([, v]) => v !== undefined && v !== null);
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
}

/** One tenant: every call goes to `/t/<name>/…`; the default tenant has no prefix. */
export class Tenant {
  constructor(sandbox, name) {
    this.sandbox = sandbox;
    this.name = name;
    /** The base URL for provider calls: `${tenant.url}/shine/v2/…`. */
    this.url = name ? `${sandbox.url}/t/${name}` : sandbox.url;
    this.scenarioLoaded = false;
    this.clock = new Clock(this);
    this.intergiro = new Intergiro(this);
    this.weavr = new Weavr(this);
    this.solaris = new Solaris(this);
    this.thredd = new Thredd(this);
    this.shine = new Shine(this);
  }

  /** A provider's base URL in this tenant, e.g. `providerUrl('weavr')`. */
  providerUrl(provider) {
    return `${this.url}/${provider}`;
  }

  /** Headers that select this tenant for a client that cannot change its path. */
  get headers() {
    return this.name ? { 'x-sandbox-tenant': this.name } : {};
  }

  /** Calls a control API operation by its id; resolves to the parsed answer. */
  async call(operationId, { params = {}, query: q, body, yaml, root = false } = {}) {
    const entry = operations[operationId];
    if (!entry) throw new TypeError(`unknown operation ${operationId}`);
    const [method, template] = entry;
    const path = template.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(params[key]));
    const headers = {};
    if (this.sandbox.adminToken) headers.authorization = `Bearer ${this.sandbox.adminToken}`;
    let payload;
    if (yaml !== undefined) {
      headers['content-type'] = 'application/yaml';
      payload = yaml;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const base = root ? this.sandbox.url : this.url;
    const res = await fetch(`${base}${path}${query(q)}`, { method, headers, body: payload });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? JSON.parse(text) : text;
    if (!res.ok) throw new SandboxError(operationId, res.status, parsed);
    return parsed;
  }

  health() { return this.call('adminHealth'); }
  stats() { return this.call('adminStats'); }
  openapi() { return this.call('adminOpenapi'); }
  hosts() { return this.call('adminHosts'); }
  scenarioSchema() { return this.call('adminScenarioSchema'); }
  caCertificate() { return this.call('adminCaCertificate'); }
  clientCertificate(name) {
    return this.call('adminClientCertificate', { body: name ? { name } : {} });
  }

  /** Drops this tenant's state and puts its clock back on system time. */
  reset() { return this.call('adminReset'); }

  /** Gives the tenant back to its sandbox for the next test. */
  release() { return this.sandbox.recycle(this); }

  /** Runs a YAML scenario in this tenant, with a fresh world. */
  async loadScenario(yaml) {
    const info = this.name
      ? await this.call('adminSetTenantScenario', { params: { name: this.name }, yaml, root: true })
      : await this.call('adminLoadScenario', { yaml });
    this.scenarioLoaded = true;
    return info;
  }

  /** Runs a scenario from the library (a built-in, or a file the sandbox read). */
  async activateScenario(name) {
    const info = await this.call('adminActivateScenario', { params: { name } });
    this.scenarioLoaded = true;
    return info;
  }

  scenarios() { return this.call('adminGetScenarios'); }

  /** The SMS outbox, oldest first: `{to, provider, since}`. */
  sms(filter = {}) { return this.call('adminListSms', { query: filter }); }

  /** Sends an SMS by hand, as the scenario's `users.sms` does. */
  sendSms(message) { return this.call('adminSendSms', { body: message }); }

  /**
   * Waits for an SMS to `to` (after `since`, a sequence number) and resolves
   * to the newest; rejects after `timeout` (default 10 s of real time).
   */
  async waitForSms(to, { since, provider, timeout = '10s' } = {}) {
    const found = await this.#longPoll('adminListSms', { to, provider, since }, timeout);
    if (!found) throw new Error(`no SMS to ${to} within ${timeout}`);
    return found;
  }

  /** The timeline, oldest first: `{type, provider, subject, since}`. */
  events(filter = {}) { return this.call('adminEvents', { query: filter }); }

  /** Waits for an event of `type` (and subject, provider, since) and resolves to the newest. */
  async waitForEvent(type, { subject, provider, since, timeout = '10s' } = {}) {
    const found = await this.#longPoll('adminEvents', { type, subject, provider, since }, timeout);
    if (!found) throw new Error(`no ${type} event within ${timeout}`);
    return found;
  }

  async #longPoll(operationId, filter, timeout) {
    const deadline = Date.now() + millis(timeout);
    for (;;) {
      const left = Math.min(deadline - Date.now(), 60000);
      if (left <= 0) return null;
      const list = await this.call(operationId, { query: { ...filter, wait: `${left}ms` } });
      if (list.length > 0) return list[list.length - 1];
    }
  }

  /**
   * The integration report: where the client broke the providers' rules.
   * `format` is `json` (the default, parsed), `junit` or `markdown` (text).
   */
  report(format) { return this.call('adminReport', { query: { format } }); }

  /**
   * Throws when the report holds deviations of `severity` (`error` by
   * default; `warning` counts warnings and errors), listing each with its
   * rule, request and source.
   */
  async expectNoDeviations({ severity = 'error' } = {}) {
    const report = await this.report();
    const counted = severity === 'warning' ? ['error', 'warning'] : ['error'];
    const found = report.deviations.filter((d) => counted.includes(d.severity));
    if (found.length > 0) {
      const lines = found.map((d) => `${d.severity} ${d.rule} (request ${d.request ?? '-'}): ${d.message} [${d.source}]`);
      throw new Error(`the client broke ${found.length} provider rule(s):\n  ${lines.join('\n  ')}`);
    }
    return report;
  }

  /** The webhooks the providers sent, newest first: `{provider, event, state, limit}`. */
  webhooks(filter = {}) { return this.call('adminListWebhooks', { query: filter }); }

  /** One delivery, with its attempts. */
  webhook(id) { return this.call('adminGetWebhook', { params: { id } }); }

  /** One more attempt of a delivery, now. */
  redeliverWebhook(id) { return this.call('adminRedeliverWebhook', { params: { id } }); }

  /** What the built-in receiver `inbox:<name>` got, oldest first. */
  inbox(name, { since } = {}) { return this.call('adminWebhookInbox', { params: { name }, query: { since } }); }

  /**
   * Waits for a webhook in the inbox `match.inbox` (default `ci`) whose
   * `event`, `provider` and `verified` equal the match's, and whose body
   * holds every field of `match.body` (nested objects match by their own
   * fields); resolves to the first such arrival after `since`.
   */
  async waitForWebhook(match = {}, { since, timeout = '10s' } = {}) {
    const { inbox = 'ci', body, ...fields } = match;
    const deadline = Date.now() + millis(timeout);
    let after = since;
    for (;;) {
      const left = Math.min(deadline - Date.now(), 60000);
      if (left <= 0) throw new Error(`no webhook matching ${JSON.stringify(match)} within ${timeout}`);
      const list = await this.call('adminWebhookInbox', { params: { name: inbox }, query: { since: after, wait: `${left}ms` } });
      const hit = list.find((a) => Object.entries(fields).every(([k, v]) => a[k] === v) && holds(a.body, body));
      if (hit) return hit;
      if (list.length > 0) after = list[list.length - 1].seq;
    }
  }

  /** The provider requests received, newest last: `{provider, operation, limit}`. */
  journal(filter = {}) { return this.call('adminJournal', { query: filter }); }

  /**
   * Asserts that the journal holds a request matching `{operation, provider,
   * status, method}` and resolves to the newest; throws with what it holds.
   */
  async expectRequest(match) {
    const entries = await this.journal({ provider: match.provider, operation: match.operation });
    const hit = entries.filter((e) => Object.entries(match).every(([k, v]) => e[k] === v)).pop();
    if (!hit) {
      const seen = entries.map((e) => `${e.method} ${e.path} ${e.operation} ${e.status}`).join('\n  ');
      throw new Error(`no request matching ${JSON.stringify(match)}; the journal holds:\n  ${seen || '(nothing)'}`);
    }
    return hit;
  }

  /** Asserts that the timeline holds an event of `type` (and subject) and resolves to the newest. */
  async expectEvent(type, { subject, provider } = {}) {
    const list = await this.events({ type, subject, provider });
    if (list.length === 0) throw new Error(`no ${type} event${subject ? ` for ${subject}` : ''} on the timeline`);
    return list[list.length - 1];
  }
}

/** The tenant's clock: time moves only when told, once frozen. */
class Clock {
  constructor(tenant) { this.tenant = tenant; }
  async #set(body) {
    const clock = await this.tenant.call('adminSetClock', { body });
    return { now: new Date(clock.now), frozen: clock.frozen };
  }
  async get() {
    const clock = await this.tenant.call('adminGetClock');
    return { now: new Date(clock.now), frozen: clock.frozen };
  }
  async now() { return (await this.get()).now; }
  freeze() { return this.#set({ frozen: true }); }
  unfreeze() { return this.#set({ frozen: false }); }
  /** Sets the time (a Date or RFC 3339 text); the clock freezes there. */
  set(time) {
    return this.#set({ frozen: true, set: time instanceof Date ? time.toISOString() : time });
  }
  /** Moves time on by a duration (`90s`, `5m`, `1h30m`) or a number of ms. */
  advance(duration) {
    return this.#set({ advance: typeof duration === 'number' ? `${duration}ms` : duration });
  }
}

/** Intergiro's user, on the hosted consent page or through the control API. */
class Intergiro {
  constructor(tenant) { this.tenant = tenant; }
  approve(consentId) { return this.tenant.call('adminIntergiroApprove', { params: { id: consentId } }); }
  decline(consentId) { return this.tenant.call('adminIntergiroDecline', { params: { id: consentId } }); }
  /** Intergiro's review of an individual's onboarding data (`onboarding_review: manual`). */
  activateIndividual(id) { return this.tenant.call('adminIntergiroActivate', { params: { id } }); }
  blockIndividual(id) { return this.tenant.call('adminIntergiroBlock', { params: { id } }); }

  /**
   * Opens the consent page (`method.redirect_url`) and submits it as a user
   * would: `approve` with the passcode (default the demo 1234), or decline.
   * Resolves to the redirect back (`return_url?consent_id=…&status=…`).
   */
  async submitPage(redirectUrl, { decision = 'approve', passcode = '1234' } = {}) {
    const page = await fetch(redirectUrl);
    const html = await page.text();
    if (!page.ok) throw new Error(`the consent page answered ${page.status}: ${html.slice(0, 200)}`);
    const url = new URL(redirectUrl);
    const form = new URLSearchParams({ token: url.searchParams.get('token') ?? '', decision });
    if (decision === 'approve') form.set('passcode', passcode);
    const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 303 || !location) {
      throw new Error(`the consent page did not redirect (${res.status}): ${(await res.text()).slice(0, 200)}`);
    }
    return location;
  }
}

/** Weavr's user answering a push on the phone. */
class Weavr {
  constructor(tenant) { this.tenant = tenant; }
  pushes() { return this.tenant.call('adminWeavrPushList'); }
  approvePush(id) { return this.tenant.call('adminWeavrPushApprove', { params: { id } }); }
  rejectPush(id) { return this.tenant.call('adminWeavrPushReject', { params: { id } }); }
}

/** Solaris' virtual devices, whose private keys the sandbox holds. */
class Solaris {
  constructor(tenant) { this.tenant = tenant; }
  /** Binds a virtual device to the person at once: `{id, person_id, key_purpose, key}`. */
  bindDevice(personId, { keyPurpose } = {}) {
    const body = { person_id: personId };
    if (keyPurpose) body.key_purpose = keyPurpose;
    return this.tenant.call('adminSolarisBindDevice', { body });
  }
  /** Signs as the device does (hex DER ECDSA P-256 over SHA-256); resolves to the hex signature. */
  async sign(deviceId, stringToSign, { keyPurpose } = {}) {
    const body = { string_to_sign: stringToSign };
    if (keyPurpose) body.key_purpose = keyPurpose;
    const { signature } = await this.tenant.call('adminSolarisSign', { params: { id: deviceId }, body });
    return signature;
  }
}

/** Thredd's cardholder: the purchase, the answer in the PM's app, the fallback OTP. */
class Thredd {
  constructor(tenant) { this.tenant = tenant; }
  /** A purchase: `{pubtoken, amount, currency, merchant?, notify_initiate_action_url?, validation_timeout?}`. */
  purchase(body) { return this.tenant.call('adminThreddStart', { body }); }
  get(id) { return this.tenant.call('adminThreddGet', { params: { id } }); }
  /** The cardholder answers in the app; the sandbox sends NotifyValidate with `status` as the PM would. */
  answerInApp(id, status) { return this.tenant.call('adminThreddApp', { params: { id }, body: { status } }); }
  approveInApp(id) { return this.answerInApp(id, 'SUCCESS'); }
  failInApp(id) { return this.answerInApp(id, 'FAILURE'); }
  /** The cardholder types the fallback OTP from the SMS. */
  enterOtp(id, code) { return this.tenant.call('adminThreddOtp', { params: { id }, body: { code } }); }
}

/** Shine's user in the Shine app. */
class Shine {
  constructor(tenant) { this.tenant = tenant; }
  /** Action requests, optionally by status (PENDING, CONFIRMED, REJECTED, EXPIRED). */
  actionRequests(status) { return this.tenant.call('adminShineList', { query: { status } }); }
  confirm(id) { return this.tenant.call('adminShineConfirm', { params: { id } }); }
  reject(id) { return this.tenant.call('adminShineReject', { params: { id } }); }
}
