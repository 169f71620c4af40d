// Misconfiguration fails at start, as an operator meets it: a real server process given a DATABASE_URL
// that does not parse exits 2 naming the variable; one whose database refuses it for good (a wrong
// password, a database that does not exist) exits 1 with the cause in words and its code; asked to
// wait (WAIT_FOR_STORE=true), or facing a transient failure (connection refused), it starts, /readyz
// answers 503 naming the cause and since when, and the cause is logged once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runServerToExit, spawnServer } from '../support/process.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { get } from '../support/http.js';

let cluster: PgCluster;
/** A URL whose password the server refuses (28P01), and one naming a database that does not exist. */
let wrongPassword: string;
let missingDatabase: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  const url = new URL(await cluster.createDatabase());
  const admin = new pg.Client({ connectionString: url.href });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ipk_pw LOGIN PASSWORD 'right-password'`);
    if (cluster.source !== 'TEST_DATABASE_URL') {
      // The throwaway cluster trusts every connection; this role alone must give its password, so a wrong
      // one is refused as a production server refuses it.
      const { rows } = await admin.query<{ hba_file: string }>('SHOW hba_file');
      const lines = ['host all ipk_pw 127.0.0.1/32 scram-sha-256', 'local all all trust', 'host all all 127.0.0.1/32 trust', 'host all all ::1/128 trust'];
      await admin.query(`COPY (VALUES ${lines.map((l) => `('${l}')`).join(', ')}) TO '${rows[0]!.hba_file}'`);
      await admin.query('SELECT pg_reload_conf()');
    }
  } finally {
    await admin.end();
  }
  wrongPassword = `postgres://ipk_pw:wrong-password@${url.host}${url.pathname}`;
  missingDatabase = `postgres://postgres@${url.host}/no_such_database`;
}, 90_000);
afterAll(() => cluster?.destroy());

describe('a DATABASE_URL that cannot be used', () => {
  it.each([
    ['not a url', /DATABASE_URL "not a url" is not a URL/],
    ['postgress://u:secret@127.0.0.1/db', /DATABASE_URL "postgress:\/\/u:\*\*\*@127\.0\.0\.1\/db" must start with postgres:\/\/ or postgresql:\/\/ \(did you mean postgres:\/\/\?\)/],
    ['mysql://u@127.0.0.1/db', /must start with postgres:\/\//],
  ])('%s: exits 2 naming the variable, before opening anything, and never prints the password', async (value, message) => {
    const { code, output } = await runServerToExit({ DATABASE_URL: value });
    expect(code).toBe(2);
    expect(output).toMatch(message);
    expect(output).not.toContain('secret');
    expect(output.trim().split('\n')).toHaveLength(1);
  });
});

describe('a database that refuses the server for good', () => {
  it('exits 1 at start on a wrong password, naming the cause in words with its code', async () => {
    const { code, output } = await runServerToExit({ DATABASE_URL: wrongPassword });
    expect(code).toBe(1);
    expect(output).toMatch(/failed to start: the inbox store cannot be used: authentication failed[^\n]*\((28P01|28000)\)/);
    expect(output).toContain('WAIT_FOR_STORE=true');
    expect(output).not.toContain('wrong-password');
  }, 30_000);

  it('exits 1 at start on a database that does not exist', async () => {
    const { code, output } = await runServerToExit({ DATABASE_URL: missingDatabase });
    expect(code).toBe(1);
    expect(output).toMatch(/the database does not exist \(3D000\)/);
  }, 30_000);

  it('with WAIT_FOR_STORE=true starts anyway: /readyz 503 names the cause and since when, logged once', async () => {
    const server = await startNotReady({ DATABASE_URL: wrongPassword, WAIT_FOR_STORE: 'true' });
    try {
      const r = await get(`${server.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.json.storeFailure).toMatchObject({ code: expect.stringMatching(/^28/), reason: expect.stringContaining('authentication') });
      expect(Date.parse(r.json.storeFailure.since)).toBeLessThanOrEqual(Date.now());
      expect(r.json.resultMsg).toMatch(/authentication .*\(28(P01|000)\) since 20\d\d-/);
      // The store retries in the background; each cause is still logged once.
      await new Promise((res) => setTimeout(res, 2500));
      await get(`${server.url}/readyz`);
      expect(server.output().match(/the inbox store cannot write: authentication/g)).toHaveLength(1);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('a database that is not reachable yet', () => {
  it('starts, answers /readyz 503 with "connection refused", and logs the cause once', async () => {
    const port = await freePort();
    const server = await startNotReady({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/inbox` });
    try {
      const r = await get(`${server.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.json.storeFailure).toMatchObject({ code: 'ECONNREFUSED', reason: 'connection refused' });
      expect(server.output()).toMatch(/the inbox store is not ready yet: connection refused \(ECONNREFUSED\)/);
      await new Promise((res) => setTimeout(res, 2500));
      expect(server.output().match(/the inbox store cannot write: connection refused/g)).toHaveLength(1);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 30_000);
});

/** Starts a server process that listens but is not ready. */
const startNotReady = (env: Record<string, string>) => spawnServer(env, [], 20_000, 'listening');
