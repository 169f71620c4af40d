// The table of event kinds (server/events/kinds.ts) drives classification, the dedupe's mid, the console's
// filter and lines, and names every event of the spec's delivery examples: adding a kind is one row.
import { describe, expect, it } from 'vitest';
import { describeEvent, KINDS as CONSOLE_KINDS } from '../../server/console/describe.js';
import { loadBundledSpec } from '../../server/contract/spec.js';
import { classifyEvent, KINDS } from '../../server/events/classify.js';
import { EVENT_KINDS, memberOf } from '../../server/events/kinds.js';
import { midOf } from '../../server/inbox/delivery-events.js';

type Json = Record<string, unknown>;

describe('the kinds table', () => {
  it('classifies each row’s example as that row’s kind', () => {
    for (const row of EVENT_KINDS) expect(classifyEvent(row.example).kind, row.kind).toBe(row.kind);
  });

  it('is what the console offers: every kind has a filter entry and a line, every entry a kind', () => {
    expect([...CONSOLE_KINDS]).toEqual(EVENT_KINDS.map((k) => k.kind));
    expect(new Set(KINDS).size).toBe(KINDS.length);
    for (const row of EVENT_KINDS) {
      const d = describeEvent(row.example);
      expect(d.kind, row.kind).toBe(row.kind);
      expect(d.summary, row.kind).toBe(row.line(memberOf(row, row.example)!, row.example, row.kind));
    }
    expect(describeEvent({ reaction: { action: 'react', emoji: '❤' } }).summary).toBe('react ❤');
    expect(describeEvent({ take_thread_control: {} }).summary).toBe('take thread control');
  });

  it('ranks every kind apart, but the attachment types, which share one rule', () => {
    const ranks = EVENT_KINDS.filter((k) => !k.attachment).map((k) => k.rank);
    expect(new Set(ranks).size).toBe(ranks.length);
    expect(new Set(EVENT_KINDS.filter((k) => k.attachment).map((k) => k.rank)).size).toBe(1);
  });

  it('says which members carry the mid an event refers to', () => {
    for (const row of EVENT_KINDS) expect(midOf(row.example), row.kind).toBe(row.mid ? 'm' : null);
    expect(EVENT_KINDS.filter((k) => !k.mid).map((k) => k.kind)).toEqual(['referral', 'handover']);
  });

  it('names an event that matches several rows by the lowest rank', () => {
    const event: Json = {
      message_edit: { mid: 'm', text: 'new' },
      message: { mid: 'm', text: 'x', is_deleted: true, is_unsupported: true, quick_reply: { payload: 'Y' }, attachments: [{ type: 'image' }] },
      reaction: { mid: 'm' },
    };
    const msg = event.message as Json;
    const order: string[] = [];
    for (const strip of [() => delete event.message_edit, () => delete msg.is_deleted, () => delete msg.is_unsupported, () => delete msg.quick_reply, () => delete msg.attachments, () => delete msg.text, () => delete event.message]) {
      order.push(classifyEvent(event).kind);
      strip();
    }
    order.push(classifyEvent(event).kind);
    expect(order).toEqual(['edit', 'deletion', 'unsupported', 'quick_reply', 'image', 'text', 'unknown', 'reaction']);
  });

  it('names every event of the spec’s delivery examples, and each kind the examples show is a row', () => {
    const spec = loadBundledSpec() as Json;
    const components = spec.components as { requestBodies: Json; examples: Record<string, { value: Json }> };
    const body = components.requestBodies.WebhookDelivery as { content: Record<string, { examples: Record<string, { $ref?: string; value?: Json }> }> };
    const examples = Object.entries(body.content['application/json']!.examples);
    expect(examples.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    const unknown = new Set<string>();
    for (const [name, ex] of examples) {
      const value = ex.$ref ? components.examples[ex.$ref.split('/').pop()!]!.value : ex.value!;
      for (const entry of value.entry as Json[]) {
        for (const event of [entry.messaging, entry.standby, entry.changes].flatMap((list) => (Array.isArray(list) ? (list as Json[]) : []))) {
          const { kind } = classifyEvent(event);
          seen.add(kind);
          if (kind === 'unknown') unknown.add(name);
          // An attachment type Meta adds is a kind of its own; every other kind is a row.
          const attachmentType = Array.isArray((event.message as Json | undefined)?.attachments);
          if (!attachmentType) expect(KINDS, name).toContain(kind);
        }
      }
    }
    // The examples show the kinds a person meets most; a row no example shows is named here on purpose.
    const unshown = KINDS.filter((k) => !seen.has(k));
    expect(unshown).toEqual(['ig_story', 'handover']);
    // Only Meta's dashboard test (a `changes` event, no messaging member) is of no kind a row names.
    expect([...unknown]).toEqual(['dashboardTest']);
  });
});
