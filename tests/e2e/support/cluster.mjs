// Several Convene instances sharing PostgreSQL and Redis, behind a round-robin proxy on 127.0.0.1
// (issue 5: "two Convene instances sharing Redis + PostgreSQL, requests alternating between
// them"). The services come from `scripts/test-services.sh` (make passes their addresses in
// CONVENE_TEST_PG_URL / CONVENE_TEST_REDIS_PORT / CONVENE_TEST_REDIS_PASSWORD); when those are
// absent, this module starts its own for the life of the test process.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { repoRoot, startConvene } from './convene.mjs';

let services = null;

/** The shared PostgreSQL URL and Redis address: {pgUrl, redisPort, redisPassword}. */
export function sharedServices() {
  if (services) return services;
  if (process.env.CONVENE_TEST_PG_URL && process.env.CONVENE_TEST_REDIS_PORT) {
    services = {
      pgUrl: process.env.CONVENE_TEST_PG_URL,
      redisPort: Number(process.env.CONVENE_TEST_REDIS_PORT),
      redisPassword: process.env.CONVENE_TEST_REDIS_PASSWORD ?? '',
    };
    return services;
  }
  // Started for this process alone (node --test outside make): Redis without the fsync per write.
  const { pgUrl, redisPort, redisPassword } = startPrivateServices({ name: 'convene-services-', durable: false });
  services = { pgUrl, redisPort, redisPassword };
  return services;
}

/** A new, empty database on the shared PostgreSQL server; returns its URL. */
export function freshDatabase(pgUrl = sharedServices().pgUrl) {
  const name = `convene_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [pgUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The environment that puts one instance on the shared engines. */
export function sharedEnv({ databaseUrl, redisPort, redisPassword, prefix }) {
  return {
    MEET_DATABASE_URL: databaseUrl,
    MEET_REDIS_HOST: '127.0.0.1',
    MEET_REDIS_PORT: String(redisPort),
    MEET_REDIS_PASSWORD: redisPassword,
    MEET_REDIS_PREFIX: prefix,
  };
}

/**
 * A round-robin HTTP proxy: request i goes to targets[i % n]. The Host header is passed through,
 * as a load balancer would. `targets` may be changed later (e.g. to drop a killed instance).
 */
export async function startRoundRobinProxy(targets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;
  const proxy = {
    targets: [...targets],
    served: new Map(),
  };
  const server = http.createServer((req, res) => {
    const live = proxy.targets;
    const target = live[next++ % live.length];
    proxy.served.set(target, (proxy.served.get(target) ?? 0) + 1);
    const { hostname, port } = new URL(target);
    const upstream = http.request(
      { host: hostname, port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode, up.statusMessage, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream failed');
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = server.address().port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      agent.destroy();
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return proxy;
}

/**
 * Starts `instances` Convene processes on one fresh database and one Redis key prefix, and a
 * round-robin proxy in front. Returns a handle shaped like startConvene's (url, port, logs, stop,
 * close) plus `instances` (each a startConvene handle) and `proxy`.
 */
export async function startCluster({ instances = 2, env = {}, services: engines = sharedServices() } = {}) {
  const { redisPort, redisPassword } = engines;
  const databaseUrl = freshDatabase(engines.pgUrl);
  const prefix = `t${randomBytes(5).toString('hex')}:`;
  const shared = sharedEnv({ databaseUrl, redisPort, redisPassword, prefix });
  const started = [];
  try {
    // One at a time: the first creates the schema and the initial settings.
    // A suite may fix SERVER_PORT (room links name it): each instance then listens on its own
    // loopback address (127.0.0.1, 127.0.0.2, ...) with that port, as on separate hosts.
    for (let i = 0; i < instances; i++) {
      const address = env.SERVER_PORT ? { SERVER_ADDRESS: `127.0.0.${i + 1}` } : {};
      started.push(await startConvene({ env: { ...shared, ...env, ...address } }));
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  const proxy = await startRoundRobinProxy(started.map((s) => s.url));
  return {
    instances: started,
    proxy,
    databaseUrl,
    redisPrefix: prefix,
    env: { ...shared, ...env },
    url: proxy.url,
    port: proxy.port,
    logs: () => started.map((s, i) => `--- instance ${i} ---\n${s.logs()}`).join('\n'),
    /** Graceful stop of every instance; the proxy stays up for restart(). */
    async stop() {
      const results = await Promise.all(started.map((s) => s.stop()));
      return results[0];
    },
    /** SIGKILL of every instance. */
    async kill() {
      const results = await Promise.all(started.map((s) => s.kill()));
      return results[0];
    },
    /** Starts every instance again (same database and Redis prefix) behind the same proxy. */
    async restart() {
      for (const s of started) await s.restart();
      proxy.targets = started.map((s) => s.url);
    },
    async close() {
      await proxy.close();
      await Promise.all(started.map((s) => s.close()));
    },
  };
}

/**
 * A redis-server and a PostgreSQL cluster of the test's own (scripts/test-services.sh), stopped
 * when the process exits, e.g. for fault tests that crash and restart them: {pgUrl, redisPort,
 * redisPassword, killRedis(), startRedis(), killPostgres(), startPostgres(), close()}. When
 * `durable`, Redis persists every write (appendfsync always), as a production Redis for Convene
 * should.
 */
export function startPrivateServices({ name = 'convene-private-services-', durable = true } = {}) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), name));
  const script = path.join(repoRoot, 'scripts', 'test-services.sh');
  const run = (action) =>
    execFileSync(script, [action, state], { encoding: 'utf8', env: { ...process.env, REDIS_APPENDONLY: durable ? 'yes' : 'no' } });
  const env = Object.fromEntries([...run('start').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      run('stop');
    } catch {
      // already gone
    }
  };
  process.on('exit', close);
  return {
    pgUrl: env.CONVENE_TEST_PG_URL,
    redisPort: Number(env.CONVENE_TEST_REDIS_PORT),
    redisPassword: env.CONVENE_TEST_REDIS_PASSWORD,
    killRedis: () => run('redis-stop'),
    startRedis: () => run('redis-start'),
    killPostgres: () => run('pg-stop'),
    startPostgres: () => run('pg-start'),
    close,
  };
}
