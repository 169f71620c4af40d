// Peer (4): Fastify 5 with the spec's WebhookDelivery schema on the body and the HMAC checked over the
// raw bytes; no store. What a Node user would pick instead for a validated receiver.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const spec = JSON.parse(readFileSync(new URL('../../../generated/openapi.json', import.meta.url), 'utf8'));
// Inline the component refs so Fastify's Ajv sees one self-contained schema.
const inline = (node) => {
  if (Array.isArray(node)) return node.map(inline);
  if (node && typeof node === 'object') {
    if (node.$ref) return inline(spec.components.schemas[node.$ref.split('/').pop()]);
    return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'examples').map(([k, v]) => [k, inline(v)]));
  }
  return node;
};
const body = inline(spec.components.schemas.WebhookDelivery);
const secret = process.env.SECRET;
const app = Fastify({ logger: false });
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw, done) => {
  const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? '').replace('sha256=', ''), 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return done(Object.assign(new Error('bad signature'), { statusCode: 401 }));
  try {
    done(null, JSON.parse(raw.toString('utf8')));
  } catch (err) {
    done(Object.assign(err, { statusCode: 400 }));
  }
});
app.post('/apiaccess/api/instagram/message/:chanId', { schema: { body } }, async () => ({ resultMsg: '200' }));
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => process.send?.('ready'));
