// The spec itself: lint is clean, generated/ matches openapi/, and the schema carries the provider's table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, cpSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePointer, spec, validateAt, validateSchema } from '../support/contract.js';
import { pageExampleText, pageFields } from '../support/provider-page.js';

const root = new URL('../..', import.meta.url).pathname;

describe('the spec', () => {
  it('lints with 0 errors and 0 warnings under redocly.yaml', () => {
    const r = spawnSync(process.execPath, ['scripts/redocly.mjs', 'lint'], { cwd: root, encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Your API descriptions? (is|are) valid/);
    expect(out).not.toMatch(/You have \d+ warning/);
  });

  it('generated/ is exactly what `npm run generate` makes from openapi/', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ipk-gen-'));
    cpSync(join(root, 'openapi'), join(scratch, 'openapi'), { recursive: true });
    cpSync(join(root, 'scripts'), join(scratch, 'scripts'), { recursive: true });
    cpSync(join(root, 'redocly.yaml'), join(scratch, 'redocly.yaml'));
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
    const r = spawnSync(process.execPath, ['scripts/generate.mjs'], { cwd: scratch, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const file of ['openapi.json', 'schema.ts']) {
      const fresh = readFileSync(join(scratch, 'generated', file), 'utf8');
      const committed = readFileSync(join(root, 'generated', file), 'utf8');
      expect(committed === fresh, `generated/${file} is stale: run npm run generate`).toBe(true);
    }
  });

  it('has both path variants with the push and the handshake, under distinct operation IDs', () => {
    const ids = Object.values<any>(spec.paths).flatMap((item) => ['get', 'post'].filter((m) => item[m]).map((m) => item[m].operationId));
    expect(spec.paths['/apiaccess/api/instagram/message'].post.operationId).toBe('pushMessage');
    expect(spec.paths['/apiaccess/api/instagram/message'].get.operationId).toBe('verifySubscription');
    expect(spec.paths['/apiaccess/api/instagram/message/{chanId}'].post.operationId).toBe('pushChannelMessage');
    expect(spec.paths['/apiaccess/api/instagram/message/{chanId}'].get.operationId).toBe('verifyChannelSubscription');
    expect(new Set(ids).size).toBe(ids.length);
  });
});

/** Walks a JSON path like `entry[].messaging[].message.mid` through the bundled schemas. */
function schemaAt(jsonPath: string): any {
  const resolveRef = (ref: string) => ref.replace(/^#\//, '').split('/').reduce((n: any, k) => n[k], spec);
  // A $ref's sibling description (OpenAPI 3.1) overrides the target's.
  const deref = (s: any): any => (s?.$ref ? { ...deref(resolveRef(s.$ref)), ...(s.description ? { description: s.description } : {}) } : s);
  let node = deref(spec.components.schemas.WebhookDelivery);
  for (const seg of jsonPath.split('.')) {
    node = deref(node?.properties?.[seg.replace(/\[\]$/, '')]);
    if (seg.endsWith('[]')) node = deref(node.items);
  }
  if (node?.type === 'array') node = { ...node, itemType: deref(node.items).type };
  return node;
}

const typeOf: Record<string, (s: any) => boolean> = {
  String: (s) => s.type === 'string' || (s.anyOf ?? []).every((a: any) => (a.$ref ? true : a.type === 'string')),
  Number: (s) => s.type === 'number',
  Boolean: (s) => s.type === 'boolean',
  Object: (s) => s.type === 'object',
  'Array [Object]': (s) => s.type === 'array' && s.itemType === 'object',
};

describe('the request schema carries every field of the provider table', () => {
  const fields = pageFields();
  it('reads 30 fields from the page (object through reply_to.mid)', () => {
    expect(fields).toHaveLength(30);
    expect(fields[0]!.jsonPath).toBe('object');
    expect(fields.at(-1)!.jsonPath).toBe('entry[].messaging[].message.reply_to.mid');
  });
  it.each(fields.map((f) => [f.no, f.jsonPath, f.type] as const))('%s %s is a %s with a description', (_no, jsonPath, type) => {
    const schema = schemaAt(jsonPath);
    expect(schema, `${jsonPath} missing from the schema`).toBeTruthy();
    expect(typeOf[type]!(schema), `${jsonPath} is not ${type}: ${JSON.stringify(schema).slice(0, 200)}`).toBe(true);
    expect(typeof schema.description).toBe('string');
  });
  it('requires nothing the page does not require', () => {
    const required = JSON.stringify(spec.components.schemas).match(/"required":\[[^\]]*\]/g) ?? [];
    const requestSide = ['WebhookDelivery', 'Entry', 'MessagingEvent', 'Participant', 'Message', 'Attachment', 'AttachmentPayload', 'QuickReply', 'ProductReferral', 'Product', 'ReplyTo', 'StoryReference'];
    for (const name of requestSide) expect(spec.components.schemas[name].required, name).toBeUndefined();
    expect(required.length).toBeGreaterThan(0);
  });
});

describe('examples', () => {
  it("accepts the page's example text verbatim, duplicate `reply_to` and all, after JSON.parse", () => {
    const text = pageExampleText();
    expect(text.match(/"reply_to"/g)).toHaveLength(2);
    const verdict = validateSchema('WebhookDelivery', JSON.parse(text));
    expect(verdict.errors).toEqual([]);
  });

  // The request examples are the request body's named examples (what `ig-push trigger` and `check` send).
  const requestExamples = Object.values<any>(spec.components.requestBodies.WebhookDelivery.content['application/json'].examples).map((e) => {
    const name = e.$ref.split('/').pop();
    return [name, spec.components.examples[name]] as [string, any];
  });
  it('has the named request examples the contract promises', () => {
    expect(requestExamples.map(([n]) => n).sort()).toEqual(
      [
        'AudioMessage', 'BatchedDelivery', 'DashboardTest', 'DeletedMessage', 'EchoMessage', 'EphemeralMessage', 'FileMessage', 'IgReelMessage', 'ImageMessage',
        'MessageEdited', 'NonAsciiMessage', 'PostbackEvent', 'ProductReferralMessage', 'ProviderExample', 'QuickReplyMessage', 'ReactionAdded', 'ReactionRemoved',
        'ReadReceipt', 'ReelMessage', 'ReplyMessage', 'SecondsTimestamps', 'ShareMessage', 'ShortlinkReferral', 'StandbyMessage', 'StoryMentionMessage',
        'StoryReplyMessage', 'TextMessage', 'UnsupportedMessage', 'VideoMessage',
      ].sort(),
    );
    expect(spec.components.examples.ProviderExample.value.entry[0].messaging[0].message.reply_to).toEqual({
      mid: 'MESSAGE-ID',
      story: { url: 'CDN-URL', id: 'STORY-ID' },
    });
  });
  it.each(requestExamples)('request example %s validates', (_name, example) => {
    expect(validateSchema('WebhookDelivery', example.value).errors).toEqual([]);
  });
  it.each(Object.entries<any>(spec.components.examples).filter(([n]) => n.startsWith('Error')))('error example %s validates against ErrorBody', (_n, ex) => {
    expect(validateSchema('ErrorBody', ex.value).errors).toEqual([]);
  });
  it('the relay discard example validates', () => {
    expect(validateSchema('RelayDiscarded', spec.components.examples.RelayDiscarded.value).errors).toEqual([]);
  });
  it('the inbox page example validates', () => {
    expect(validateSchema('InboxPage', spec.components.examples.InboxPageExample.value).errors).toEqual([]);
  });
});

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

interface MediaUse {
  operation: string;
  /** `request` or the response status, then the media type. */
  where: string;
  schemaPointer: string;
  /** Each example as [its component's pointer, or its key when inline; its value]. */
  examples: [string, unknown][];
}

/** Every media type of every operation's request body and responses, shared components resolved. */
function mediaUses(): MediaUse[] {
  const uses: MediaUse[] = [];
  for (const [template, item] of Object.entries<any>(spec.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      const op = item[method];
      if (!op) continue;
      const at = `#/paths/${escape(template)}/${method}`;
      const parts: [string, any, string][] = Object.entries<any>(op.responses).map(([status, r]) => [status, r, `${at}/responses/${status}`]);
      if (op.requestBody) parts.unshift(['request', op.requestBody, `${at}/requestBody`]);
      for (const [label, node, pointer] of parts) {
        const base = node.$ref ?? pointer;
        const resolved = node.$ref ? resolvePointer(node.$ref) : node;
        for (const [type, media] of Object.entries<any>(resolved.content ?? {})) {
          const examples: [string, unknown][] = Object.entries<any>(media.examples ?? {}).map(([key, ex]) => (ex.$ref ? [ex.$ref, resolvePointer(ex.$ref).value] : [key, ex.value]));
          if ('example' in media) examples.push(['example', media.example]);
          uses.push({ operation: op.operationId, where: `${label} ${type}`, schemaPointer: `${base}/content/${escape(type)}/schema`, examples });
        }
      }
    }
  }
  return uses;
}

describe('every body of every operation has named examples, each valid where it is used', () => {
  const uses = mediaUses();
  const operations = Object.values<any>(spec.paths).flatMap((item) => ['get', 'put', 'post', 'delete', 'patch'].filter((m) => item[m]).map((m) => item[m]));

  it.each(operations.map((op) => [op.operationId, op] as const))('%s has named examples on its request body and every response with a body', (_id, op) => {
    const own = uses.filter((u) => u.operation === op.operationId);
    const named = (u: MediaUse) => u.examples.length > 0 && u.examples.every(([ref]) => ref.startsWith('#/components/examples/'));
    expect(own.some((u) => /^2\d\d /.test(u.where)), `${op.operationId}: no 2xx response with a body`).toBe(true);
    if (op.requestBody) expect(own.some((u) => u.where.startsWith('request '))).toBe(true);
    expect(own.filter((u) => !named(u)).map((u) => u.where), 'without named examples (under #/components/examples/)').toEqual([]);
  });

  const cases = uses.flatMap((u) => u.examples.map(([ref, value]) => [ref, `${u.operation} ${u.where}`, u.schemaPointer, value] as const));
  it('finds the examples of every operation', () => {
    expect(new Set(cases.map(([, where]) => where.split(' ')[0])).size).toBe(operations.length);
  });
  it.each(cases)('%s validates against the schema of %s', (_ref, _where, schemaPointer, value) => {
    expect(validateAt(schemaPointer, value).errors).toEqual([]);
  });
});

describe('wrong types are rejected with the field path', () => {
  const wrongValue: Record<string, unknown> = { String: 42, Number: 'soon', Boolean: 'yes', Object: 'x', 'Array [Object]': { not: 'an array' } };
  const base = () => structuredClone(spec.components.examples.ProviderExample.value);
  const set = (obj: any, jsonPath: string, value: unknown): string => {
    const segs = jsonPath.split('.');
    let node = obj;
    let pointer = '';
    segs.forEach((seg, i) => {
      const name = seg.replace(/\[\]$/, '');
      pointer += `/${name}`;
      if (i === segs.length - 1) node[name] = value;
      else {
        node = node[name];
        if (seg.endsWith('[]')) {
          node = node[0];
          pointer += '/0';
        }
      }
    });
    return pointer;
  };
  it.each(pageFields().map((f) => [f.jsonPath, f.type] as const))('%s (%s)', (jsonPath, type) => {
    const payload = base();
    const pointer = set(payload, jsonPath, wrongValue[type]);
    const verdict = validateSchema('WebhookDelivery', payload);
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.map((e) => e.instancePath)).toContain(pointer);
  });
});
