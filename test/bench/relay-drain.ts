// Drain after an outage: RELAY_EVENTS events (default 5 000) stored while the destination is paused,
// then resumed; how fast the relay forwards the backlog to a destination on loopback that accepts at
// once, and what the process's RSS does meanwhile (the backlog is read 64 at a time, never whole).
// Bounded to about 20 s of sending. Not part of `npm test`.
//
//   node --import tsx test/bench/relay-drain.ts
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { Forwarder } from '../../server/relay/forwarder.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { contractValidator } from '../../server/relay/start-relay.js';

const TOTAL = Number(process.env.RELAY_EVENTS ?? 5000);
const CONCURRENCY = Number(process.env.RELAY_CONCURRENCY ?? 8);
const mb = () => Math.round(process.memoryUsage().rss / 1048576);

let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/apiaccess/api/instagram/message/cc`;

const file = join(mkdtempSync(join(tmpdir(), 'ipk-relay-drain-')), 'inbox.sqlite');
const inbox = new SqliteInbox({ file });
const destination = { id: 'cc', channel: 'a', url, enabled: true, timeoutMs: 5000, maxAgeMs: 3_600_000, concurrency: CONCURRENCY };
const outbox = new SqliteOutbox(file, [destination]);
await outbox.setPaused('cc', true);
const event = (i: number): NewEvent => ({
  channel: 'a',
  mid: `drain-${i}`,
  entryId: '17841400000000000',
  entryTime: 1732519200123,
  event: { sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876 + i, message: { mid: `drain-${i}`, text: 'hello there' } },
  dedupeKey: `drain-${i}`,
});
for (let i = 0; i < TOTAL; i += 500) await inbox.append(Array.from({ length: Math.min(500, TOTAL - i) }, (_, k) => event(i + k)), new Date());
const rssBefore = mb();
const forwarder = new Forwarder({ outbox, destinations: [destination], validate: contractValidator(), logger: pino({ level: 'warn' }), pollMs: 50 });
await outbox.setPaused('cc', false);
const started = performance.now();
let rssPeak = rssBefore;
while (received < TOTAL && performance.now() - started < 20_000) {
  await new Promise((r) => setTimeout(r, 100));
  rssPeak = Math.max(rssPeak, mb());
}
const seconds = (performance.now() - started) / 1000;
await forwarder.stop();
const status = (await outbox.status())[0]!;
console.log(
  JSON.stringify({ events: TOTAL, concurrency: CONCURRENCY, delivered: status.counts.delivered, seconds: Number(seconds.toFixed(2)), eventsPerSecond: Math.round(received / seconds), rssBeforeMb: rssBefore, rssPeakMb: rssPeak }),
);
await outbox.close();
await inbox.close();
server.close();
