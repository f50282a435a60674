// Named token → joined latency against the real LiveKit server: for each of N joins (default 50,
// in rooms of 10), the time from sending POST /internal-api/v1/participants/token until Convene
// answered LiveKit's participant_joined webhook for that token's identity. The participant
// connects over WebRTC with @livekit/rtc-node (no published media: LiveKit declares a participant
// joined once its connection is up). Prints p50/p90/p99/min/max in ms and writes
// bench/results/livekit-latency-<UTC stamp>.json.
//
//   node bench/livekit-latency.mjs                    # CONVENE_BINARY or build/release/src/convene
//   BENCH_JOINS=100 node bench/livekit-latency.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
process.env.CONVENE_BINARY ??= path.join(root, 'build', 'release', 'src', 'convene');
const { disposeRtc, eventually, startRealStack } = await import('../tests/e2e/support/real-livekit.mjs');

const JOINS = Number(process.env.BENCH_JOINS ?? 50);
const PER_ROOM = Number(process.env.BENCH_JOINS_PER_ROOM ?? 10);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const stack = await startRealStack({ cluster: false, tap: true, emptyTimeout: 120 });
const samples = [];
// Where the time goes, per join: the token request, the WebRTC connect (signalling, ICE, DTLS)
// and from connected to Convene's answer to participant_joined.
const phases = { token: [], connect: [], webhook: [] };
try {
  let room;
  const inRoom = [];
  for (let i = 0; i < JOINS; i++) {
    if (i % PER_ROOM === 0) {
      await Promise.all(inRoom.splice(0).map((p) => p.leave()));
      room = await stack.createRoom({ roomName: `latency ${i / PER_ROOM}` });
    }
    const t0 = performance.now();
    const p = await stack.participant(room, 'Alice');
    const t1 = performance.now();
    const client = await stack.join(p.token, { publish: false });
    const t2 = performance.now();
    inRoom.push(client);
    const answered = await eventually(
      () => stack.tap.answered.find((a) => a.event === 'participant_joined' && a.room === room.roomId && a.identity === p.identity && a.status === 200),
      { timeoutMs: 30000, intervalMs: 5, label: `participant_joined of join ${i}` },
    );
    samples.push(answered.answeredAt - t0);
    phases.token.push(t1 - t0);
    phases.connect.push(t2 - t1);
    phases.webhook.push(answered.answeredAt - t2);
  }
  await Promise.all(inRoom.map((p) => p.leave()));
} finally {
  await stack.close();
  await disposeRtc();
}

const sorted = [...samples].sort((a, b) => a - b);
const result = {
  type: 'livekit_token_to_joined',
  livekitVersion: stack.livekit.version,
  binary: process.env.CONVENE_BINARY,
  joins: samples.length,
  perRoom: PER_ROOM,
  ms: {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted.at(-1),
  },
  phasesP50Ms: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, percentile([...v].sort((a, b) => a - b), 50)])),
  samplesMs: samples,
};
const dir = process.env.BENCH_RESULTS_DIR ?? path.join(root, 'bench', 'results');
fs.mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
fs.writeFileSync(path.join(dir, `livekit-latency-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
const f = (x) => x.toFixed(1);
console.log(`token → participant_joined answered by Convene, ${result.joins} joins (livekit-server ${result.livekitVersion}):`);
console.log(`  p50 ${f(result.ms.p50)} ms  p90 ${f(result.ms.p90)} ms  p99 ${f(result.ms.p99)} ms  min ${f(result.ms.min)} ms  max ${f(result.ms.max)} ms`);
const ph = result.phasesP50Ms;
console.log(`  p50 per phase: token ${f(ph.token)} ms, WebRTC connect ${f(ph.connect)} ms, connected → webhook answered ${f(ph.webhook)} ms`);
