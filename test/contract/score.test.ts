// The spec's `redocly score` (agent readiness: the median of its operations' scores) stays at 90 or more.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('redocly score', () => {
  it('rates the spec 90 or more', () => {
    const r = spawnSync(process.execPath, ['scripts/redocly.mjs', 'score', '--format', 'json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { agentReadiness: number; operationScores: Record<string, { agentReadiness: number }> };
    const byOperation = Object.entries(report.operationScores).map(([id, s]) => `${id} ${s.agentReadiness}`).join(', ');
    expect(report.agentReadiness, `per operation: ${byOperation}`).toBeGreaterThanOrEqual(90);
  });
});
