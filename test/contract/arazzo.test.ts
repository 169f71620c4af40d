// Runs the Arazzo workflows (openapi/arazzo/push.arazzo.yaml) with `redocly respect` against the real
// reference server: every operation, its success and each refusal it documents, with Redocly's own
// status-code, content-type and response-schema checks on every step.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, startTestServer, type TestServer } from '../support/server.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const FLOWS = 'openapi/arazzo/push.arazzo.yaml';

const ACCOUNT = '17841400000000001';
const SECRET = 'arazzo-secret';
const channelConfig = (appSecret: string) => ({
  channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret, verifyToken: 'arazzo-token' }],
  inboxToken: 'arazzo-inbox',
});

const delivery = (mid: string, time: unknown = 1732519200123) => ({
  object: 'instagram',
  entry: [
    {
      id: ACCOUNT,
      time,
      messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: ACCOUNT }, timestamp: 1732519199876, message: { mid, text: 'Is the blue jacket in stock?' } }],
    },
  ],
});

/** The workflows' inputs: each delivery with its signature, since respect cannot compute an HMAC. */
function inputs(secret: string): string {
  const deliveries = {
    delivery: delivery('arazzo-mid-by-account'),
    channelDelivery: delivery('arazzo-mid-by-channel'),
    badDelivery: delivery('arazzo-mid-bad', 'yesterday'),
    badChannelDelivery: { object: 'instagram', entry: 'nope' },
  };
  const values: Record<string, unknown> = { deliveryMid: 'arazzo-mid-by-account', channelDeliveryMid: 'arazzo-mid-by-channel' };
  for (const [name, payload] of Object.entries(deliveries)) {
    values[name] = payload;
    // Respect sends an object payload as compact JSON.stringify, so these are the bytes on the wire.
    values[`${name}Signature`] = signBody(Buffer.from(JSON.stringify(payload)), secret);
  }
  return JSON.stringify(values);
}

/** Runs the Redocly CLI asynchronously: a blocking spawn would stall the in-process server it talks to. */
function redocly(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const respect = (server: TestServer, secret: string) => redocly(['respect', FLOWS, '--server', `push=${server.url}`, '--input', inputs(secret)]);

describe('Arazzo workflows', () => {
  let server: TestServer;
  // Same workflows, but the server holds another app secret: the signed deliveries must be refused.
  let otherSecretServer: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: channelConfig(SECRET) });
    otherSecretServer = await startTestServer({ config: channelConfig('another-secret') });
  });

  afterAll(async () => {
    await Promise.all([server?.close(), otherSecretServer?.close()]);
  });

  it('lints clean', async () => {
    const r = await redocly(['lint', FLOWS]);
    expect(r.code, r.output).toBe(0);
  });

  it('pass against the reference server', async () => {
    const r = await respect(server, SECRET);
    expect(r.code, r.output).toBe(0);
    expect(r.output, r.output).toMatch(/Workflows: 4 passed, 4 total/);
  });

  it('fail when the signatures do not match the server’s app secret', async () => {
    const r = await respect(otherSecretServer, SECRET);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output, r.output).toMatch(/stepId - pushByAccount/);
  });
});
