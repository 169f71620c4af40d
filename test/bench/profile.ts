// Where the reference server's time goes under load: a V8 CPU profile (--cpu-prof) summarised by who
// owns each sample (our code, Express, the validator, SQLite, Node's HTTP stack, GC, idle), so the
// README can say what the gap to Fastify is made of.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const OWNERS: [string, RegExp][] = [
  ['idle (waiting for I/O)', /^\(idle\)$/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['SQLite (better-sqlite3, includes fsync)', /better-sqlite3/],
  ['express-openapi-validator + Ajv', /express-openapi-validator|\/ajv/],
  ['Express and its router', /node_modules\/(express|router|body-parser|finalhandler|send|serve-static|path-to-regexp|qs|type-is|content-type|mime)/],
  ['pino (logging)', /pino|sonic-boom/],
  ["Node's HTTP stack and streams", /^node:(_http|http|net|stream|internal\/(http|streams|stream_base|net)|events)/],
  ['our code (server/)', /\/(dist\/)?server\//],
  ['crypto (HMAC)', /^node:(crypto|internal\/crypto)/],
];

function ownerOf(node: ProfileNode, label: string): string {
  const key = node.callFrame.url || label;
  for (const [name, re] of OWNERS) if (re.test(key)) return name;
  return node.callFrame.url ? 'other JavaScript' : 'native / program';
}

/** Self time by owner, as fractions of all samples, largest first. */
export function summarizeProfile(dir: string): { owner: string; share: number }[] {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const owner = ownerOf(node, node.callFrame.functionName);
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...counts].map(([owner, n]) => ({ owner, share: Math.round((n / total) * 1000) / 1000 })).sort((a, b) => b.share - a.share);
}
