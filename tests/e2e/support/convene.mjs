// Starts the real Convene binary for end-to-end tests: a free port on 127.0.0.1, a throw-away
// data directory, and helpers to stop, kill (SIGKILL) and restart it on the same data.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const conveneBinary =
  process.env.CONVENE_BINARY ?? path.join(repoRoot, 'build', 'debug', 'src', 'convene');

export const API_KEY = 'meet-api-key';

function waitForListening(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`convene did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /Convene listening on [^:]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`convene exited early (code ${code}, signal ${signal}):\n${output}`));
    });
    // A missing or non-executable binary fails at once instead of waiting for the timeout.
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${conveneBinary}: ${err.message}`));
    });
  });
}

/**
 * Starts Convene. `env` overrides the defaults below. Returns a handle:
 *   { url, port, dataDir, logs(), stop(), kill(), restart() }
 */
export async function startConvene({ env = {}, dataDir, timeoutMs = 15000 } = {}) {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'convene-e2e-'));
  const handle = { dataDir: dir, child: null, port: 0, url: '', output: [] };
  const launch = async (port) => {
    const child = spawn(conveneBinary, [], {
      env: {
        PATH: process.env.PATH,
        // Sanitizer settings reach an instrumented binary (make test-asan / test-tsan).
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(A|T|UB|L)SAN_OPTIONS$/.test(k))),
        SERVER_ADDRESS: '127.0.0.1',
        SERVER_PORT: String(port),
        MEET_DATA_DIR: dir,
        MEET_INITIAL_API_KEY: API_KEY,
        MEET_LOG_LEVEL: 'info',
        SERVER_THREADS: '2',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c) => handle.output.push(c.toString()));
    child.stderr.on('data', (c) => handle.output.push(c.toString()));
    handle.child = child;
    handle.port = await waitForListening(child, timeoutMs);
    handle.url = `http://127.0.0.1:${handle.port}`;
  };
  await launch(0);

  handle.logs = () => handle.output.join('');
  const waitExit = (signal) =>
    new Promise((resolve) => {
      if (handle.child.exitCode !== null || handle.child.signalCode !== null) {
        resolve({ code: handle.child.exitCode, signal: handle.child.signalCode });
        return;
      }
      const timer = setTimeout(() => handle.child.kill('SIGKILL'), 15000);
      handle.child.once('exit', (code, sig) => {
        clearTimeout(timer);
        resolve({ code, signal: sig });
      });
      handle.child.kill(signal);
    });
  /** Graceful stop (SIGTERM); resolves with the exit status. */
  handle.stop = () => waitExit('SIGTERM');
  /** Crash (SIGKILL). */
  handle.kill = () => waitExit('SIGKILL');
  /** Starts again on the same data directory, on the same port when possible. */
  handle.restart = async () => {
    try {
      await launch(handle.port);
    } catch {
      await launch(0);
    }
  };
  /** Stops the server and removes the data directory. */
  handle.close = async () => {
    await handle.stop();
    if (!dataDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  return handle;
}

/** fetch with a bounded time; returns {status, headers, body (parsed JSON or text), text}. */
export async function request(baseUrl, method, pathAndQuery, { headers = {}, body, json, timeoutMs = 10000 } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await fetch(baseUrl + pathAndQuery, init);
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
    parsed = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A client bound to one server and the API key. */
export function apiClient(server, { apiKey = API_KEY } = {}) {
  const auth = apiKey ? { 'x-api-key': apiKey } : {};
  const call = (method) => (p, opts = {}) =>
    request(server.url, method, p, { ...opts, headers: { ...auth, ...(opts.headers ?? {}) } });
  return { get: call('GET'), post: call('POST'), put: call('PUT'), del: call('DELETE'), patch: call('PATCH') };
}
