// Cold-start baseline: the smallest Express app, started the same way as ours (node + one file).
import express from 'express';
const app = express();
app.get('/', (_req, res) => res.send('hello'));
app.listen(Number(process.env.PORT), '127.0.0.1');
