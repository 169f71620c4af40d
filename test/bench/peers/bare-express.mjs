// Peer (2): bare Express 5 with express.json(), answering 200. The framework floor.
import express from 'express';

const app = express();
app.use(express.json());
app.post('/apiaccess/api/instagram/message/:chanId', (_req, res) => res.json({ resultMsg: '200' }));
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
