// Peer (3): raw node:http that reads the body, JSON.parses it and answers 200. The Node limit.
import { createServer } from 'node:http';

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') return void res.writeHead(404).end();
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
