'use strict';
/**
 * Baseline for the peers-connected benchmark: the least a mesh of Node processes must do to "find" each other —
 * listen on HTTP, GET every other node (fresh TCP connection) with the same retry policy as the sync service
 * (100 ms doubling, ±20% jitter), and count a pair as met when either side's request got through.
 * No crypto, no validation, no discovery. Prints JSON lines: listening, all-reached.
 *   node bareMeshNode.js <ip> <port> <peer ip:port>...
 */
const http = require('node:http');
const { setTimeout } = require('node:timers');
const { URL } = require('node:url');

const [ip, portText, ...peers] = process.argv.slice(2);
const port = Number(portText);
const reached = new Set();
let done = false;
const log = (event) => process.stdout.write(JSON.stringify({ ...event, time: new Date().toISOString() }) + '\n');

function met(address) {
  reached.add(address);
  if (!done && reached.size === peers.length) {
    done = true;
    log({ event: 'all-reached', peers: reached.size });
  }
}

const server = http.createServer((req, res) => {
  const from = new URL(req.url, 'http://x').searchParams.get('from');
  if (from) met(from);
  res.end('{}');
});

function dial(peer, failures) {
  const [host, p] = peer.split(':');
  const req = http.get(
    { host, port: Number(p), path: `/hello?from=${ip}:${port}`, agent: false, localAddress: ip },
    (res) => {
      res.resume();
      res.on('end', () => met(peer));
    },
  );
  req.on('error', () => {
    const base = Math.min(5000, 100 * 2 ** failures);
    setTimeout(() => dial(peer, failures + 1), base + base * 0.2 * (Math.random() * 2 - 1));
  });
}

server.listen(port, ip, () => {
  log({ event: 'listening' });
  for (const peer of peers) dial(peer, 0);
});
process.on('SIGTERM', () => process.exit(0));
