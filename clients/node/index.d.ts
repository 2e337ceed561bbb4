// Types of the sca-sandbox test kit. The shapes follow openapi.yaml's
// control API.

export declare const operations: Record<string, readonly [method: string, path: string]>;

export interface StartOptions {
  /** Attach to a running sandbox instead of starting one (also SCA_SANDBOX_URL). */
  url?: string;
  /** The binary (also SCA_SANDBOX_BIN); default `sca-sandbox` on the PATH. */
  bin?: string;
  /** A scenario file or folder for `--scenario`. */
  scenario?: string;
  /** The control API's token (also SCA_SANDBOX_ADMIN_TOKEN). */
  adminToken?: string;
  /** More command-line arguments. */
  args?: string[];
  /** More environment variables for the binary. */
  env?: Record<string, string>;
  /** Where the binary's log goes: 'ignore' (default) or 'inherit'. */
  stderr?: 'ignore' | 'inherit';
  /** How long to wait for the binary to listen; default 10,000 ms. */
  startTimeoutMs?: number;
}

export declare function startSandbox(options?: StartOptions): Promise<Sandbox>;

export declare class SandboxError extends Error {
  readonly operationId: string;
  readonly status: number;
  /** The control API's `error.code`, such as `not_found`. */
  readonly code: string | null;
  readonly body: unknown;
}

export declare class Sandbox {
  readonly url: string;
  readonly adminToken: string | null;
  /** The default tenant: what a client without a tenant prefix sees. */
  readonly default: Tenant;
  tenant(options?: { name?: string; scenario?: string }): Promise<Tenant>;
  recycle(tenant: Tenant): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ClockState { now: Date; frozen: boolean }
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h'}` | string;

export interface Clock {
  get(): Promise<ClockState>;
  now(): Promise<Date>;
  freeze(): Promise<ClockState>;
  unfreeze(): Promise<ClockState>;
  set(time: Date | string): Promise<ClockState>;
  advance(duration: Duration): Promise<ClockState>;
}

export interface Sms {
  seq: number;
  id: string;
  provider: string | null;
  to: string;
  text: string;
  code: string | null;
  purpose: string | null;
  reference: string | null;
  sent_at: string;
}

export interface SandboxEvent {
  seq: number;
  id: string;
  type: string;
  provider: string | null;
  subject: string | null;
  at: string;
  data?: unknown;
}

export interface JournalEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  provider: string;
  operation: string | null;
  status: number;
  duration_ms: number;
  rule: string | null;
}

export interface ScenarioInfo {
  active: { name: string | null; library_name: string | null; description?: string | null; version?: unknown; seed?: unknown; rules?: number };
  library: { name: string; description?: string | null; source?: string; rules?: number }[];
  errors: { source: string; line: number; column: number; message: string; location?: string }[];
}

export interface ThreddSession {
  id: string;
  state: 'AWAITING_VALIDATION' | 'AUTHENTICATED' | 'AWAITING_OTP' | 'FAIL_WITH_FEEDBACK' | string;
  outcome: string | null;
  [field: string]: unknown;
}

export interface ThreddPurchase {
  pubtoken: number;
  amount: number;
  currency: string;
  merchant?: { name?: string; url?: string; id?: string; acquirer_id?: string; category_code?: string; country_code?: string; app_redirect_url?: string };
  notify_initiate_action_url?: string;
  validation_timeout?: string;
}

export interface WebhookAttempt {
  attempt: number;
  at: string;
  status: number | null;
  latency_ms: number;
  error?: string;
  answer?: string;
  rule?: string;
}

export interface WebhookDelivery {
  id: string;
  provider: string;
  event: string;
  operation: string;
  subject: string;
  url: string;
  state: 'pending' | 'held' | 'retrying' | 'delivered' | 'failed' | 'dropped';
  created_at: string;
  next_attempt_at: string | null;
  attempts: WebhookAttempt[];
  headers: Record<string, string>;
  body: unknown;
}

export interface WebhookArrival {
  seq: number;
  id: string;
  inbox: string;
  provider: string;
  event: string;
  delivery: string | null;
  headers: Record<string, string>;
  body: Record<string, any>;
  verified: boolean | null;
  received_at: string;
}

export interface Deviation {
  seq: number;
  rule: string;
  severity: 'error' | 'warning';
  provider: string;
  operation: string | null;
  /** The request's `seq` in the journal. */
  request: number | null;
  message: string;
  source: string;
  at: string;
}

export interface Report {
  errors: number;
  warnings: number;
  rules: { rule: string; severity: 'error' | 'warning'; count: number; expects: string; source: string }[];
  deviations: Deviation[];
}

export type NotifyValidateStatus = 'SUCCESS' | 'STEPUP' | 'FAILURE' | 'FAILWITHFEEDBACK' | 'ERROR';

export declare class Tenant {
  readonly sandbox: Sandbox;
  /** null for the default tenant. */
  readonly name: string | null;
  /** The base URL for provider calls: `${tenant.url}/shine/v2/…`. */
  readonly url: string;
  /** `x-sandbox-tenant` for a client that cannot change its path. */
  readonly headers: Record<string, string>;
  readonly clock: Clock;
  readonly intergiro: {
    approve(consentId: string): Promise<Record<string, unknown>>;
    decline(consentId: string): Promise<Record<string, unknown>>;
    /** Intergiro's review of an individual's onboarding data (`onboarding_review: manual`). */
    activateIndividual(id: string): Promise<Record<string, unknown>>;
    blockIndividual(id: string): Promise<Record<string, unknown>>;
    /** Submits the hosted page as the user; resolves to the redirect back. */
    submitPage(redirectUrl: string, options?: { decision?: 'approve' | 'decline'; passcode?: string }): Promise<string>;
  };
  readonly weavr: {
    pushes(): Promise<{ id: string; credentials_id: string; email: string; channel: string; purpose: string; resource_ids: string[]; expires_at: string }[]>;
    approvePush(id: string): Promise<{ id: string; state: 'APPROVED' | 'REJECTED' }>;
    rejectPush(id: string): Promise<{ id: string; state: 'APPROVED' | 'REJECTED' }>;
  };
  readonly solaris: {
    bindDevice(personId: string, options?: { keyPurpose?: 'restricted' | 'unrestricted' }): Promise<{ id: string; person_id: string; key_purpose: string; key: string }>;
    /** Resolves to the hex DER signature. */
    sign(deviceId: string, stringToSign: string, options?: { keyPurpose?: 'restricted' | 'unrestricted' }): Promise<string>;
  };
  readonly thredd: {
    purchase(body: ThreddPurchase): Promise<ThreddSession>;
    get(id: string): Promise<ThreddSession>;
    answerInApp(id: string, status: NotifyValidateStatus): Promise<ThreddSession>;
    approveInApp(id: string): Promise<ThreddSession>;
    failInApp(id: string): Promise<ThreddSession>;
    enterOtp(id: string, code: string): Promise<ThreddSession>;
  };
  readonly shine: {
    actionRequests(status?: 'PENDING' | 'CONFIRMED' | 'REJECTED' | 'EXPIRED'): Promise<Record<string, unknown>[]>;
    confirm(id: string): Promise<Record<string, unknown>>;
    reject(id: string): Promise<Record<string, unknown>>;
  };
  providerUrl(provider: 'intergiro' | 'weavr' | 'solaris' | 'shine' | 'thredd'): string;
  call(operationId: string, options?: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; yaml?: string; root?: boolean }): Promise<any>;
  health(): Promise<{ status: 'ok'; version: string }>;
  stats(): Promise<Record<string, unknown>>;
  openapi(): Promise<Record<string, any>>;
  hosts(): Promise<Record<string, string>>;
  scenarioSchema(): Promise<Record<string, unknown>>;
  caCertificate(): Promise<string>;
  clientCertificate(name?: string): Promise<{ certificate: string; private_key: string; ca: string }>;
  reset(): Promise<{ status: 'reset' }>;
  release(): Promise<void>;
  loadScenario(yaml: string): Promise<ScenarioInfo>;
  activateScenario(name: string): Promise<ScenarioInfo>;
  scenarios(): Promise<ScenarioInfo>;
  sms(filter?: { to?: string; provider?: string; since?: number | string }): Promise<Sms[]>;
  sendSms(message: { to: string; text: string; code?: string; purpose?: string; reference?: string }): Promise<Sms | { delivered: boolean }>;
  waitForSms(to: string, options?: { since?: number | string; provider?: string; timeout?: Duration }): Promise<Sms>;
  events(filter?: { type?: string; provider?: string; subject?: string; since?: number | string }): Promise<SandboxEvent[]>;
  waitForEvent(type: string, options?: { subject?: string; provider?: string; since?: number | string; timeout?: Duration }): Promise<SandboxEvent>;
  report(): Promise<Report>;
  report(format: 'json'): Promise<Report>;
  report(format: 'junit' | 'markdown'): Promise<string>;
  /** Throws when the report holds deviations of `severity` (`error` by default; `warning` counts both). */
  expectNoDeviations(options?: { severity?: 'error' | 'warning' }): Promise<Report>;
  webhooks(filter?: { provider?: string; event?: string; state?: WebhookDelivery['state']; limit?: number }): Promise<WebhookDelivery[]>;
  webhook(id: string): Promise<WebhookDelivery>;
  redeliverWebhook(id: string): Promise<WebhookDelivery>;
  inbox(name: string, options?: { since?: number | string }): Promise<WebhookArrival[]>;
  /** The first arrival in `match.inbox` (default `ci`) after `since` whose fields equal the match's and whose body holds `match.body`. */
  waitForWebhook(match?: { inbox?: string; event?: string; provider?: string; verified?: boolean; body?: Record<string, unknown> }, options?: { since?: number | string; timeout?: Duration }): Promise<WebhookArrival>;
  journal(filter?: { provider?: string; operation?: string; limit?: number }): Promise<JournalEntry[]>;
  expectRequest(match: Partial<Pick<JournalEntry, 'operation' | 'provider' | 'status' | 'method' | 'path'>>): Promise<JournalEntry>;
  expectEvent(type: string, options?: { subject?: string; provider?: string }): Promise<SandboxEvent>;
}
