// The published package as a user gets it: `npm pack`, install the tarball into an empty ESM TypeScript
// project (strict, NodeNext), type-check an app that imports both entry points, run it, run the bin.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const root = new URL('../..', import.meta.url).pathname;
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'ipk-pack-'));
const app = join(dir, 'app');

interface PackedFile {
  path: string;
  mode: number;
}
let packed: { filename: string; size: number; unpackedSize: number; files: PackedFile[] };

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const APP_SOURCE = `
import { createServer } from 'node:http';
import { createPushClient, isPushError, signPayload, type ErrorBody, type WebhookDelivery } from 'instagram-push-kit';
import { createApp, type Inbox, type NewEvent } from 'instagram-push-kit/server';

const delivery: WebhookDelivery = {
  object: 'instagram',
  entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '1' }, message: { mid: 'packed-1', text: 'hi' } }] }],
};
// An inbox kept in memory, typed by the package's own Inbox interface.
const stored: NewEvent[] = [];
const inbox: Inbox = {
  async append(events) { stored.push(...events); return { stored: events.length, duplicates: 0 }; },
  async list() { return { items: [], nextCursor: '' }; },
  async tail() { return { items: [], nextCursor: '' }; },
  async ready() { return true; },
  async prune() { return 0; },
  async close() {},
};
const app = createApp({ inbox, channels: [{ id: 'chan', accountId: '17841400000000000', appSecret: 'secret', verifyToken: 'token', enabled: true }] });
await app.warmUp();
const server = createServer(app).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const baseUrl = \`http://127.0.0.1:\${(server.address() as { port: number }).port}\`;

const client = createPushClient({ baseUrl, appSecret: 'secret' });
const accepted = await client.push(delivery, { chanId: 'chan' });
const echoed = await client.verifyWebhook({ chanId: 'chan', verifyToken: 'token', challenge: '42' });
const failure = await createPushClient({ baseUrl, appSecret: 'wrong', retries: 0 }).push(delivery, { chanId: 'chan' }).catch((e: unknown) => e);
const body: ErrorBody | undefined = isPushError(failure) ? failure.body : undefined;
const raw = await client.raw.POST('/apiaccess/api/instagram/message/{chanId}', { params: { path: { chanId: 'chan' } }, body: delivery });
server.close();
console.log(JSON.stringify({ accepted, echoed, refused: body?.code, rawStatus: raw.response.status, stored: stored.map((e) => e.mid), signature: await signPayload('{}', 'secret') }));
`;

beforeAll(() => {
  // `npm pack` runs the `prepare` build, as a git install or a publish would.
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], root));
  packed = info;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, type: 'module' }));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, verbatimModuleSyntax: true, noUncheckedIndexedAccess: true, types: ['node'], outDir: 'out' },
      files: ['index.ts'],
    }),
  );
  writeFileSync(join(app, 'index.ts'), APP_SOURCE);
  // --ignore-scripts skips compiling better-sqlite3 from source (a minute here, with no prebuilt binary
  // reachable offline); the addon loads lazily and this app keeps its inbox in memory.
  npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', join(dir, packed.filename)], app);
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships the compiled client, server, CLI and bundled spec, without sources, maps or tests', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of ['package.json', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/client/cli/main.js', 'dist/server/index.js', 'dist/server/index.d.ts', 'dist/generated/openapi.json', 'dist/generated/schema.d.ts']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => /\.map$|\.tsbuildinfo$|^(client|server|test|openapi|scripts)\/|\.test\./.test(p))).toEqual([]);
    expect(packed.files.find((f) => f.path === 'dist/client/cli/main.js')!.mode & 0o111).not.toBe(0);
    console.info(`tarball: ${packed.filename}, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.files.length} files`);
  });

  it('type-checks an app importing instagram-push-kit and instagram-push-kit/server under strict NodeNext', () => {
    const r = spawnSync(process.execPath, [tsc, '-p', app], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs that app: pushes, runs the handshake and gets a typed refusal from the packaged server', () => {
    const r = spawnSync(process.execPath, [join(app, 'out/index.js')], { cwd: app, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(result).toEqual({
      accepted: { resultMsg: '200' },
      echoed: '42',
      refused: 'bad_signature',
      rawStatus: 200,
      stored: ['packed-1', 'packed-1'],
      signature: `sha256=${createHmac('sha256', 'secret').update('{}').digest('hex')}`,
    });
  });

  it('installs the ig-push bin, which finds the bundled spec inside dist', () => {
    const bin = join(app, 'node_modules/.bin/ig-push');
    expect(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(pkg.version);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"entry":[{"time":"soon"}]}');
    const r = spawnSync(bin, ['validate', '--json', bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).problems).toEqual([{ path: '/entry/0/time', message: 'must be number' }]);
    const sign = spawnSync(bin, ['sign', bad, '--secret', 'k'], { encoding: 'utf8' });
    expect(sign.stdout.trim()).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});
