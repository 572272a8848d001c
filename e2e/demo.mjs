// What the browser tests share: where the binary and Chromium are, and a
// `guichet demo` of their own on a free port with a fresh data directory.

import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const GUICHET_BIN = path.resolve(
  process.env.GUICHET_BIN || path.join(here, '..', 'target', 'debug', 'guichet'),
);
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
export const SERVER_START_TIMEOUT_MS = 60_000;
export const ACTION_TIMEOUT_MS = 15_000;
export const PASSWORD = 'guichet-demo';

/**
 * Spawns `guichet demo` on 127.0.0.1:0 with a fresh data directory (named
 * after `label`) and resolves once it prints the line with its URL, with
 * `{ child, dataDir, url, output }`.
 */
export async function startServer(label = 'e2e') {
  try {
    accessSync(GUICHET_BIN, fsConstants.X_OK);
  } catch {
    throw new Error(
      `guichet binary not found or not executable at ${GUICHET_BIN}: ` +
        'run `cargo build` at the top of the repository, or set GUICHET_BIN',
    );
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `guichet-${label}-`));
  const child = spawn(GUICHET_BIN, ['demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { child, dataDir, url: null, output: '' };
  // Keep draining both pipes for the whole run so the server never blocks
  // on a full pipe, and keep what it said for error messages.
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    server.output += chunk;
  });
  const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
  try {
    server.url = await new Promise((resolve, reject) => {
      const fail = (why) => {
        clearTimeout(timer);
        reject(
          new Error(
            `guichet demo did not start (${why}). Command: ${GUICHET_BIN} demo ` +
              `--listen 127.0.0.1:0 --data-dir ${dataDir}\n` +
              `--- output so far ---\n${server.output || '(nothing)'}\n--- end of output ---`,
          ),
        );
      };
      const timer = setTimeout(
        () => fail(`no "Guichet demo at" line within ${SERVER_START_TIMEOUT_MS / 1000} s`),
        SERVER_START_TIMEOUT_MS,
      );
      lines.on('line', (line) => {
        server.output += `${line}\n`;
        const match = /^Guichet demo at (http:\/\/\S+\/) \(demo data loaded\)/.exec(line);
        if (match && !server.url) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('error', (err) => fail(`could not spawn: ${err.message}`));
      child.once('exit', (code, signal) =>
        fail(`it exited with ${signal ? `signal ${signal}` : `code ${code}`}`),
      );
    });
  } catch (err) {
    await stopServer(server);
    throw err;
  }
  return server;
}

/** Stops the server (SIGTERM, then SIGKILL) and removes its data directory. */
export async function stopServer(server) {
  if (!server) return;
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
  await rm(server.dataDir, { recursive: true, force: true });
}
