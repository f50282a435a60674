#!/usr/bin/env node
// Turns run.sh's records (one JSON object per line: type "fixture" or "scenario") into the
// Markdown report on stdout and the JSON result files. Schema: bench/README.md.
//   node bench/report.mjs --meta meta.json --records records.jsonl --out RESULT.json [--latest latest.json]
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    meta: { type: 'string' }, records: { type: 'string' }, out: { type: 'string' }, latest: { type: 'string' },
  },
});
if (!opts.meta || !opts.records || !opts.out) {
  console.error('usage: report.mjs --meta FILE --records FILE --out FILE [--latest FILE]');
  process.exit(2);
}

const meta = JSON.parse(fs.readFileSync(opts.meta, 'utf8'));
const records = fs.readFileSync(opts.records, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const fixtures = records.filter((r) => r.type === 'fixture').map(({ type, ...f }) => f);
const MiB = (kib) => (typeof kib === 'number' ? Number((kib / 1024).toFixed(1)) : null);

function parseTargets(text) {
  const out = {};
  if (!text || text === '-') return out;
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    out[k.trim()] = Number(v);
  }
  return out;
}

const scenarios = records.filter((r) => r.type === 'scenario').map((r) => {
  const w = r.wrk;
  const s = {
    name: r.name, script: r.script, fixture: r.fixture, rooms: r.rooms, flags: r.flags, status: r.status,
    error: r.error ?? null,
    rps: w?.rps ?? null, p50_ms: w?.p50_ms ?? null, p99_ms: w?.p99_ms ?? null, p999_ms: w?.p999_ms ?? null,
    requests: w?.requests ?? null, non2xx: w?.non2xx ?? null, socket_errors: w?.socket_errors ?? null,
    errors: w ? w.non2xx + w.socket_errors : null,
    rss_before_mib: MiB(r.rss_before_kib), peak_rss_mib: MiB(r.peak_rss_kib), hwm_mib: MiB(r.hwm_kib),
    rss_before_kib: r.rss_before_kib, peak_rss_kib: r.peak_rss_kib, hwm_kib: r.hwm_kib,
    wrk: w ?? null,
    targets: {},
  };
  const t = parseTargets(r.targets);
  const check = (key, want, got, ok) => { s.targets[key] = { want, got, ok: got === null ? false : ok }; };
  if ('rps' in t) check('rps_min', t.rps, s.rps, s.rps >= t.rps);
  if ('p99' in t) check('p99_ms_max', t.p99, s.p99_ms, s.p99_ms !== null && s.p99_ms < t.p99);
  if ('rss' in t) check('peak_rss_mib_max', t.rss, s.peak_rss_mib, s.peak_rss_mib !== null && s.peak_rss_mib < t.rss);
  if (Object.keys(t).length > 0 && s.errors !== null) check('errors_max', 0, s.errors, s.errors === 0);
  return s;
});

const targetChecks = scenarios.flatMap((s) => Object.entries(s.targets).map(([k, v]) => ({ scenario: s.name, check: k, ...v })));
const result = {
  ...meta,
  all_ok: scenarios.every((s) => s.status === 'ok' && s.errors === 0),
  targets_met: targetChecks.length > 0 && targetChecks.every((c) => c.ok) && scenarios.every((s) => s.status === 'ok'),
  scenarios,
  fixtures: fixtures.map((f) => ({
    ...f,
    idle_rss_start_mib: MiB(f.idle_rss_start_kib),
    idle_rss_seeded_mib: MiB(f.idle_rss_seeded_kib),
    restart: f.restart ? { ...f.restart, idle_rss_mib: MiB(f.restart.idle_rss_kib) } : null,
  })),
};

fs.writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
if (opts.latest) fs.writeFileSync(opts.latest, JSON.stringify(result, null, 2) + '\n');

// ---- Markdown ----
const fmt = (x, d = 2) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));
const fmtInt = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const lines = [];
const c = meta.config;
lines.push(`## Convene HTTP benchmark ${meta.timestamp}`, '');
lines.push(`wrk -t${c.wrk_threads} -c${c.connections} -d${c.duration} (warm-up ${c.warmup}), ` +
  `server threads ${c.server_threads}, ${meta.machine.nproc} cores, load ${meta.machine.loadavg_start} → ` +
  `${meta.machine.loadavg_end}, data on ${c.data_root} (${c.data_root_fs}), MEET_LOG_LEVEL=${c.log_level}`, '');
lines.push('| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors (non-2xx + socket) | peak RSS MiB |');
lines.push('|---|---:|---:|---:|---:|---:|---:|');
for (const s of scenarios) {
  if (s.status !== 'ok') {
    lines.push(`| ${s.name} | **${s.status}** | | | | | ${fmt(s.peak_rss_mib, 1)} |`);
    continue;
  }
  const errs = s.errors === 0 ? '0' : `**${s.errors}** (${s.non2xx} + ${s.socket_errors})`;
  lines.push(`| ${s.name} | ${fmtInt(s.rps)} | ${fmt(s.p50_ms)} | ${fmt(s.p99_ms)} | ${fmt(s.p999_ms)} | ${errs} | ${fmt(s.peak_rss_mib, 1)} |`);
}
lines.push('');
lines.push('| fixture | rooms | start-up ms (spawn → listening; server says) | idle RSS MiB after start | seeding | idle RSS MiB after seeding | restart on the data: start-up ms, idle RSS MiB | exit |');
lines.push('|---|---:|---|---:|---|---:|---|---|');
for (const f of result.fixtures) {
  const seed = f.seed ? `${fmtInt(f.seed.created)} rooms in ${fmt(f.seed.seconds, 1)} s (${fmtInt(f.seed.rps)}/s)` +
    (f.seed.failed ? `, **${f.seed.failed} failed**` : '') : '–';
  const restart = f.restart ? (f.restart.error ? `**${f.restart.error}**`
    : `${f.restart.startup_ms} (${f.restart.startup_ms_server ?? '?'}), ${fmt(f.restart.idle_rss_mib, 1)}`) : '–';
  lines.push(`| ${f.id}: ${f.scenarios.join(', ')} | ${fmtInt(f.rooms)} | ${f.startup_ms ?? '–'} (${f.startup_ms_server ?? '?'}) | ` +
    `${fmt(f.idle_rss_start_mib, 1)} | ${seed} | ${fmt(f.idle_rss_seeded_mib, 1)} | ${restart} | ${f.exit ?? '–'} |`);
}
const problems = [];
for (const f of result.fixtures) {
  if (f.error) problems.push(`fixture ${f.id}: ${f.error}`);
  if (f.log_errors || f.log_warnings) problems.push(`fixture ${f.id}: server logged ${f.log_errors} error and ${f.log_warnings} warning lines`);
  if (f.exit !== null && f.exit !== '0') problems.push(`fixture ${f.id}: server exit status ${f.exit} on SIGTERM`);
}
for (const s of scenarios) {
  if (s.status !== 'ok') problems.push(`${s.name}: ${s.status}: ${s.error}`);
  else if (s.errors) problems.push(`${s.name}: ${s.non2xx} non-2xx responses, ${s.socket_errors} socket errors (connect ${s.wrk.errors_connect}, read ${s.wrk.errors_read}, write ${s.wrk.errors_write}, timeout ${s.wrk.errors_timeout})`);
}
if (targetChecks.length) {
  lines.push('', 'Targets:');
  for (const t of targetChecks) {
    lines.push(`- ${t.ok ? 'ok  ' : 'MISS'} ${t.scenario} ${t.check}: want ${t.check.endsWith('min') ? '≥' : t.check === 'errors_max' ? '=' : '<'} ${t.want}, got ${t.got ?? '–'}`);
  }
}
if (problems.length) {
  lines.push('', 'Problems:');
  for (const p of problems) lines.push(`- ${p}`);
}
lines.push('', `JSON: ${opts.out}; logs: ${meta.config.logs}`);
console.log(lines.join('\n'));
