// Copyright: redis_ops.replication contributors
// GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The ioredis twin of writer.py: a bounded Sentinel-aware writer. Same options, same JSON result.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const Redis = require('ioredis');

function parseArgs(argv) {
  const args = {
    sentinels: '', name: 'mymaster', 'password-env': 'REDIS_OPS_PASSWORD',
    'sentinel-password-env': 'REDIS_OPS_SENTINEL_PASSWORD', 'username-env': 'REDIS_OPS_USERNAME',
    'tls-ca': '', 'tls-cert': '', 'tls-key': '', rate: 200, 'max-seconds': 120,
    'max-writes': 100000, 'retry-seconds': 30, 'stop-file': '', progress: '', result: '',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args)) throw new Error(`unknown option --${key}`);
    args[key] = argv[i + 1];
  }
  if (!args.sentinels) throw new Error('--sentinels is required');
  return args;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Number(process.hrtime.bigint()) / 1e9;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sentinels = args.sentinels.split(',').map((item) => {
    const at = item.lastIndexOf(':');
    return { host: item.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(item.slice(at + 1)) };
  });
  // With --tls-ca, both the Sentinels and the data nodes are reached over TLS with the same files.
  const tls = args['tls-ca'] ? {
    ca: fs.readFileSync(args['tls-ca']),
    cert: args['tls-cert'] ? fs.readFileSync(args['tls-cert']) : undefined,
    key: args['tls-key'] ? fs.readFileSync(args['tls-key']) : undefined,
  } : undefined;
  const client = new Redis({
    sentinels,
    name: args.name,
    username: process.env[args['username-env']] || undefined,
    password: process.env[args['password-env']] || undefined,
    tls,
    sentinelTLS: tls,
    enableTLSForSentinelMode: Boolean(tls),
    sentinelPassword: process.env[args['sentinel-password-env']] || undefined,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    // A demoted primary answers READONLY: reconnect, which asks Sentinel for the new one.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    retryStrategy: () => 100,
    sentinelRetryStrategy: () => 100,
  });
  client.on('error', () => {});
  const prefix = `writer:${crypto.randomBytes(6).toString('hex')}:`;
  const acknowledged = [];
  let errors = 0; let gaveUp = 0; let longestGap = 0; let gapEndedAt = null; let lastAck = null; let lastProgress = 0;
  const started = now();
  const rate = Number(args.rate); const maxSeconds = Number(args['max-seconds']);
  const maxWrites = Number(args['max-writes']); const retrySeconds = Number(args['retry-seconds']);
  for (let index = 0; index < maxWrites && now() - started < maxSeconds
       && !(args['stop-file'] && fs.existsSync(args['stop-file'])); index += 1) {
    let key = prefix + index;
    const firstTry = now();
    for (;;) {
      try {
        await client.set(key, String(index));
        break;
      } catch (err) {
        errors += 1;
        if (now() - firstTry > retrySeconds) { gaveUp += 1; key = null; break; }
        await sleep(50);
      }
    }
    const t = now();
    if (key !== null) {
      if (lastAck !== null && t - lastAck > longestGap) { longestGap = t - lastAck; gapEndedAt = t - started; }
      lastAck = t;
      acknowledged.push(key);
    }
    if (args.progress && t - lastProgress > 0.25) {
      lastProgress = t;
      fs.writeFileSync(`${args.progress}.tmp`, JSON.stringify({ acknowledged: acknowledged.length, errors, gave_up: gaveUp }));
      fs.renameSync(`${args.progress}.tmp`, args.progress);
    }
    await sleep(Math.max(0, 1000 / rate - (now() - firstTry) * 1000));
  }
  const missing = [];
  for (let start = 0; start < acknowledged.length; start += 500) {
    const chunk = acknowledged.slice(start, start + 500);
    const values = await client.mget(...chunk);
    chunk.forEach((key, i) => { if (values[i] === null) missing.push(key); });
  }
  const primary = client.stream ? `${client.stream.remoteAddress}:${client.stream.remotePort}` : 'unknown';
  const result = {
    client: `ioredis ${require('ioredis/package.json').version}`, acknowledged: acknowledged.length, errors, gave_up: gaveUp,
    missing: missing.length, missing_sample: missing.slice(0, 5), longest_gap_seconds: Number(longestGap.toFixed(3)),
    gap_ended_after_seconds: gapEndedAt === null ? null : Number(gapEndedAt.toFixed(3)),
    seconds: Number((now() - started).toFixed(3)), primary,
  };
  const text = JSON.stringify(result);
  if (args.result) fs.writeFileSync(args.result, `${text}\n`);
  console.log(text);
  client.disconnect();
  process.exit(missing.length === 0 && gaveUp === 0 ? 0 : 1);
}

main().catch((err) => { console.error(err); process.exit(2); });
