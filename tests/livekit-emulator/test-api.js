// Test-only HTTP API under /_test/ (no auth, JSON in and out). Every route maps to a
// method of the in-process handle built in emulator.js, so both stay identical.
import { HttpError } from './errors.js';
import { readBody, sendJson, sendText } from './twirp.js';

const ROUTES = {
  'POST /_test/join': async (api, body) => api.join(body),
  'POST /_test/leave': async (api, body) => (await api.leave(body), {}),
  'GET /_test/state': async (api) => api.snapshot(),
  'GET /_test/webhooks': async (api, _b, q) => ({ webhooks: api.webhookLog({ event: q.get('event'), room: q.get('room') }) }),
  'GET /_test/calls': async (api, _b, q) => ({ calls: api.callLog({ method: q.get('method') }) }),
  'GET /_test/faults': async (api) => ({ faults: api.getFaults() }),
  'POST /_test/faults': async (api, body) => ({ faults: api.setFaults(body) }),
  'GET /_test/config': async (api) => ({ config: api.getConfig() }),
  'POST /_test/config': async (api, body) => ({ config: api.configure(body) }),
  'POST /_test/room-timeouts': async (api, body) => api.setRoomTimeouts(body),
  'POST /_test/wait-webhooks': async (api, body) => (await api.waitForWebhooks(body.timeoutMs), {}),
  'POST /_test/reset': async (api) => (await api.reset(), {}),
};

export async function handleTestApi(api, req, res, url) {
  const route = ROUTES[`${req.method} ${url.pathname}`];
  if (!route) return sendJson(res, 404, { error: `no test route ${req.method} ${url.pathname}` });
  let body = {};
  try {
    if (req.method === 'POST') {
      const raw = await readBody(req);
      if (raw.length) body = JSON.parse(raw.toString('utf8'));
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('body must be a JSON object');
    }
  } catch (err) {
    return sendJson(res, 400, { error: `bad request body: ${err.message}` });
  }
  try {
    sendJson(res, 200, await route(api, body, url.searchParams));
  } catch (err) {
    if (err instanceof HttpError && url.pathname === '/_test/join') {
      // Join failures mirror the real /rtc answer: its status and plain-text body.
      return sendText(res, err.status, err.message);
    }
    const status = err.status ?? err.httpStatus ?? 400;
    sendJson(res, status, { error: err.message, ...(err.code ? { code: err.code } : {}) });
  }
}
