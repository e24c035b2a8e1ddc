/** Runs inside a network namespace (via nsenter): GET the URL given as the last argument, print {status, body} as JSON. */
import http from 'node:http';
import https from 'node:https';

const url = process.argv[process.argv.length - 1] as string;
const transport = url.startsWith('https:') ? https : http;
const req = transport.get(url, { timeout: 3_000, rejectUnauthorized: false }, (res) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () =>
    process.stdout.write(JSON.stringify({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') })),
  );
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (error) => {
  process.stderr.write(String(error));
  process.exit(1);
});
