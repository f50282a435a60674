#!/usr/bin/env node
// CLI: node server.js --port 0 --api-key devkey --api-secret secret \
//        --webhook-url http://127.0.0.1:6080/livekit/webhook [--fast]
// Prints exactly one line "LIVEKIT_EMULATOR_LISTENING <port>" on stdout when ready;
// everything else goes to stderr.
import { parseArgs } from 'node:util';
import { startEmulator } from './emulator.js';

const USAGE = `usage: node server.js [--port N] [--api-key K] [--api-secret S] [--webhook-url URL]
                      [--fast] [--time-scale X] [--empty-timeout S] [--departure-timeout S]
                      [--no-auto-create] [--enable-remote-unmute]
env: LIVEKIT_API_KEY, LIVEKIT_API_SECRET, EMULATOR_WEBHOOK_URL (flags win)`;

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'api-key': { type: 'string' },
        'api-secret': { type: 'string' },
        'webhook-url': { type: 'string' },
        fast: { type: 'boolean' },
        'time-scale': { type: 'string' },
        'empty-timeout': { type: 'string' },
        'departure-timeout': { type: 'string' },
        'no-auto-create': { type: 'boolean' },
        'enable-remote-unmute': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.error(USAGE);
    process.exit(0);
  }
  const num = (v) => (v === undefined ? undefined : Number(v));
  const options = {
    port: num(values.port) ?? 0,
    apiKey: values['api-key'] ?? process.env.LIVEKIT_API_KEY ?? 'devkey',
    apiSecret: values['api-secret'] ?? process.env.LIVEKIT_API_SECRET ?? 'secret',
    webhookUrl: values['webhook-url'] ?? process.env.EMULATOR_WEBHOOK_URL ?? null,
    fast: values.fast ?? false,
    timeScale: num(values['time-scale']),
    emptyTimeout: num(values['empty-timeout']),
    departureTimeout: num(values['departure-timeout']),
    autoCreate: values['no-auto-create'] ? false : true,
    enableRemoteUnmute: values['enable-remote-unmute'] ?? false,
  };
  startEmulator(options).then(
    (emu) => {
      process.stdout.write(`LIVEKIT_EMULATOR_LISTENING ${emu.port}\n`);
      const stop = (signal) => {
        console.error(`livekit-emulator: ${signal}, shutting down`);
        emu.close().finally(() => process.exit(0));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
    (err) => {
      console.error(`livekit-emulator: failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}

main();
