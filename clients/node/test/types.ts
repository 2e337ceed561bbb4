// Compiled (never run) by `npm run typecheck`: the declarations describe
// what the kit's users write.
import { SandboxError, startSandbox, type Sms, type Tenant, type ThreddSession } from 'sca-sandbox';

export async function usage(): Promise<void> {
  await using sandbox = await startSandbox({ bin: 'sca-sandbox', stderr: 'inherit' });
  const t: Tenant = await sandbox.tenant({ scenario: 'name: typed\n' });
  const sms: Sms = await t.waitForSms('+447700900123', { timeout: '5s' });
  const code: string | null = sms.code;
  const session: ThreddSession = await t.thredd.answerInApp('id', 'STEPUP');
  const now: Date = (await t.clock.advance('5m')).now;
  const signature: string = await t.solaris.sign('device', 'text', { keyPurpose: 'restricted' });
  const back: string = await t.intergiro.submitPage('http://127.0.0.1/intergiro/sca/consent?token=x');
  try {
    await t.shine.confirm('x');
  } catch (error) {
    if (error instanceof SandboxError) console.log(error.status, error.code);
  }
  console.log(code, session.state, now, signature, back);
  await t.release();
}
