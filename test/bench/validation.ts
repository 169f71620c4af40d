// Validation cost per payload, in microseconds: the push hot path's precompiled validator on a small
// delivery and on a 100-event batch, next to JSON.parse of the same bytes (a baseline measured in the
// same run, since only ratios mean anything on a noisy machine).
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { compilePushValidators } from '../../server/push/push-validator.js';
import { loadBundledSpec } from '../../server/contract/spec.js';

export interface ValidationCost {
  payload: string;
  bytes: number;
  validateUs: number;
  parseUs: number;
}

function batch(events: number): object {
  const messaging = Array.from({ length: events }, (_, i) => ({
    sender: { id: '6543210987654321' },
    recipient: { id: '17841400000000000' },
    timestamp: 1732519199876 + i,
    message: i % 3 === 0
      ? { mid: `mid-${i}`, attachments: [{ type: 'image', payload: { url: `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${i}` } }] }
      : { mid: `mid-${i}`, text: `message number ${i}`, reply_to: { mid: `mid-${i - 1}` } },
  }));
  return { object: 'instagram', entry: [{ id: '17841400000000000', time: 1732519200123, messaging }] };
}

export async function measureValidation(): Promise<ValidationCost[]> {
  const validators = compilePushValidators(loadBundledSpec());
  const small = readFileSync(new URL('../fixtures/meta/text.json', import.meta.url), 'utf8');
  const payloads = { 'small (1 event)': small, '100 events': JSON.stringify(batch(100)) };
  const out: ValidationCost[] = [];
  for (const [name, text] of Object.entries(payloads)) {
    const value = JSON.parse(text);
    if (validators.body(value) !== null) throw new Error(`bench payload ${name} is not valid`);
    const bench = new Bench({ time: 500 });
    bench.add('validate', () => validators.body(value));
    bench.add('parse', () => JSON.parse(text));
    await bench.run();
    const us = (task: string) => Math.round((bench.getTask(task)!.result as { latency: { mean: number } }).latency.mean * 1000 * 100) / 100;
    out.push({ payload: name, bytes: Buffer.byteLength(text), validateUs: us('validate'), parseUs: us('parse') });
  }
  return out;
}
