// Browser test of problem recordings (R17): Chromium records a HAR file
// (playwright-core's recordHar) on a local test page that sets cookies and
// sends an `Authorization: Bearer` header; dana uploads it to a case of a
// demo Guichet; no cookie value, token or credential header value from the
// recording is anywhere under the demo's data directory, the stored file is
// still a HAR file, and the case page says what was removed.
//
// Starts its own `guichet demo` on a free port with a fresh data directory
// (see README.md in this folder).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { chromium } from 'playwright-core';

import {
  ACTION_TIMEOUT_MS,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  PASSWORD,
  startServer,
  stopServer,
} from './demo.mjs';

const TEST_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------------------
// The test page: the application whose problem the customer records

const hex = (bytes) => randomBytes(bytes).toString('hex');
const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Fresh secrets for one run, so that none can be found in the data directory
 * by coincidence. The JWT has a real header and payload.
 */
function makeSecrets() {
  const jwt = [
    base64url({ alg: 'HS256', typ: 'JWT' }),
    base64url({ sub: 'dana', sid: hex(8), exp: 1_900_000_000 }),
    randomBytes(32).toString('base64url'),
  ].join('.');
  return {
    session: `sess-${hex(12)}`, // Set-Cookie on the page, HttpOnly
    csrf: `csrf-${hex(12)}`, // Set-Cookie on the page, read by the script into a header
    analytics: `an-${hex(12)}`, // set by the page's script through document.cookie
    refresh: `rt-${hex(12)}`, // Set-Cookie on the API's answer
    jwt, // Authorization: Bearer
    apiKey: `key-${hex(12)}`, // X-API-Key
    queryToken: `qt-${hex(12)}`, // ?access_token= in the fetched URL
  };
}

function testPage(secrets) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ledger</title></head>
<body><h1>Ledger</h1><p id="state">loading</p>
<script>
document.cookie = 'analytics_id=${secrets.analytics}; path=/';
const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
fetch('/api/ledger?access_token=${secrets.queryToken}&page=2', {
  headers: {
    'Authorization': 'Bearer ${secrets.jwt}',
    'X-CSRF-Token': csrf,
    'X-API-Key': '${secrets.apiKey}',
  },
})
  .then((response) => response.json())
  .then((ledger) => { document.getElementById('state').textContent = 'loaded ' + ledger.entries.length; });
</script></body></html>`;
}

/** Serves the test page on 127.0.0.1:0; resolves with the server and its URL. */
async function startTestPage(secrets) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    if (url.pathname === '/') {
      response.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Set-Cookie': [
          `sid=${secrets.session}; Path=/; HttpOnly; SameSite=Lax`,
          `csrftoken=${secrets.csrf}; Path=/; SameSite=Lax`,
        ],
      });
      response.end(testPage(secrets));
    } else if (url.pathname === '/api/ledger') {
      // The page only gets its data with the credentials it was given.
      const ok =
        request.headers.authorization === `Bearer ${secrets.jwt}` &&
        request.headers['x-csrf-token'] === secrets.csrf &&
        (request.headers.cookie ?? '').includes(`sid=${secrets.session}`);
      response.writeHead(ok ? 200 : 401, {
        'Content-Type': 'application/json',
        'Set-Cookie': `refresh=${secrets.refresh}; Path=/; HttpOnly`,
      });
      response.end(JSON.stringify(ok ? { entries: [101, 102, 103], user: 'dana' } : { error: 'unauthorized' }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

// ---------------------------------------------------------------------------
// Helpers

async function api(base, method, pathname, token, body) {
  const response = await fetch(new URL(pathname, base), {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return response;
}

async function signIn(base, email) {
  const response = await api(base, 'POST', '/api/v1/auth/token', null, { email, password: PASSWORD });
  assert.equal(response.status, 201, `signing ${email} in: ${await response.clone().text()}`);
  return (await response.json()).token;
}

/** Every file under `dir`, with its bytes. */
async function filesUnder(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      files.push({ file, bytes: await readFile(file) });
    }
  }
  return files;
}

/** Opens a case as `token` (dana) and resolves with its number. */
async function openCase(token) {
  const opened = await api(server.url, 'POST', '/api/v1/cases', token, {
    product: 'financials',
    area: 'general_ledger',
    environment: 'production',
    impact: 'blocked',
    scope: 'group',
    subject: 'The ledger page loads slowly',
    description: 'The ledger takes a minute to load after signing in.',
  });
  assert.equal(opened.status, 201, await opened.clone().text());
  return (await opened.json()).number;
}

/** Uploads `bytes` as `name` to the case; resolves with the status and the answer. */
async function upload(token, number, name, bytes) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), name);
  const response = await fetch(new URL(`/api/v1/cases/${number}/attachments`, server.url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Records the test page in Chromium the way a customer does (a HAR file
 * with its content), with fresh secrets; resolves with them and the file.
 */
async function recordProblem() {
  const secrets = makeSecrets();
  const site = await startTestPage(secrets);
  const recordDir = await mkdtemp(path.join(os.tmpdir(), 'guichet-e2e-har-'));
  const harPath = path.join(recordDir, 'ledger.har');
  try {
    const recording = await browser.newContext({ recordHar: { path: harPath, content: 'embed' } });
    recording.setDefaultTimeout(ACTION_TIMEOUT_MS);
    const tab = await recording.newPage();
    await tab.goto(site.url);
    await tab.locator('#state', { hasText: 'loaded 3' }).waitFor();
    await recording.close(); // writes the HAR file
    const har = await readFile(harPath);
    // The recording really holds every secret, in its raw form.
    const recorded = JSON.parse(har.toString('utf8'));
    assert.ok(recorded.log.entries.length >= 2, 'the page and its API call are recorded');
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(har.includes(value), `the recording holds the ${name} (${value})`);
    }
    return { secrets, har, recorded };
  } finally {
    site.server.close();
    await rm(recordDir, { recursive: true, force: true });
  }
}

/** Asserts that no secret (nor the JWT's signature alone) is in any of `files`. */
function assertNoSecretIn(files, secrets) {
  for (const { file, bytes } of files) {
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!bytes.includes(value), `the ${name} (${value}) is in ${file}`);
    }
    assert.ok(!bytes.includes(secrets.jwt.split('.')[2]), `the JWT's signature is in ${file}`);
  }
}

/** A zip archive of `entries` ([name, bytes]), stored without compression. */
function storedZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const fileName = Buffer.from(name);
    const fields = (signature, extra) => {
      const header = Buffer.alloc(signature === 0x04034b50 ? 30 : 46);
      let at = 0;
      const u16 = (v) => { header.writeUInt16LE(v, at); at += 2; };
      const u32 = (v) => { header.writeUInt32LE(v >>> 0, at); at += 4; };
      u32(signature);
      if (extra) u16(20); // version made by
      [20, 0, 0, 0, 0x21].forEach(u16); // version needed, flags, stored, 1980-01-01 00:00
      [zlib.crc32(data), data.length, data.length].forEach(u32);
      [fileName.length, 0].forEach(u16);
      if (extra) {
        [0, 0, 0].forEach(u16); // comment, disk, internal attributes
        [0, offset].forEach(u32); // external attributes, where the entry starts
      }
      return Buffer.concat([header, fileName]);
    };
    const local = Buffer.concat([fields(0x04034b50, false), data]);
    centrals.push(fields(0x02014b50, true));
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, central, end]);
}

/** The entries of a zip archive ([name, bytes]), read through its central directory. */
function unzip(archive) {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'a zip archive');
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    assert.equal(archive.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    const method = archive.readUInt16LE(at + 10);
    const compressed = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const skip = nameLength + archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataAt = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const data = archive.subarray(dataAt, dataAt + compressed);
    assert.ok(method === 0 || method === 8, `${name}: stored or deflated, not method ${method}`);
    entries.push([name, method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data)]);
    at += 46 + skip;
  }
  return entries;
}

// ---------------------------------------------------------------------------
// Setup

let server;
let browser;

before(async () => {
  server = await startServer('e2e-attachments');
  try {
    accessSync(CHROMIUM_PATH, fsConstants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` or set CHROMIUM_PATH`,
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopServer(server);
});

process.once('exit', () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
});

// ---------------------------------------------------------------------------
// Tests

test('a HAR recorded by Chromium is stored without its cookies, tokens and credential headers', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { secrets, har, recorded } = await recordProblem();

  // dana opens a case and uploads the recording.
  const dana = await signIn(server.url, 'dana@acme.example');
  const number = await openCase(dana);
  const { status, body: stored } = await upload(dana, number, 'ledger.har', har);
  assert.equal(status, 201, JSON.stringify(stored));
  assert.equal(stored.kind, 'har');
  assert.equal(stored.name, 'ledger.har');
  // sid, csrftoken, analytics_id, refresh: each in Set-Cookie, the Cookie
  // headers and the HAR's cookie lists.
  assert.ok(stored.removed.cookies >= 4, `cookies removed: ${JSON.stringify(stored.removed)}`);
  assert.ok(stored.removed.authorization_headers > 0, `authorization headers removed: ${JSON.stringify(stored.removed)}`);
  assert.ok(stored.removed.credential_headers > 0, `credential headers removed: ${JSON.stringify(stored.removed)}`);
  assert.ok(stored.removed.parameters > 0, `secret parameters removed: ${JSON.stringify(stored.removed)}`);

  // None of the recording's secrets is anywhere under the data directory:
  // the storage root, the staging folder, the database.
  const files = await filesUnder(server.dataDir);
  const storageRoot = path.join(server.dataDir, 'files');
  const objects = files.filter(({ file }) => file.startsWith(storageRoot + path.sep));
  assert.equal(objects.length, 1, `one stored file under ${storageRoot}: ${objects.map((o) => o.file)}`);
  assert.equal(createHash('sha256').update(objects[0].bytes).digest('hex'), stored.sha256);
  assert.equal(objects[0].bytes.length, stored.size);
  assertNoSecretIn(files, secrets);

  // The stored file, downloaded back, is still a HAR file with every entry.
  const download = await api(server.url, 'GET', stored.url, dana);
  assert.equal(download.status, 200);
  assert.match(download.headers.get('content-disposition'), /^attachment; filename="ledger\.har"/);
  assert.equal(download.headers.get('x-content-type-options'), 'nosniff');
  const downloaded = Buffer.from(await download.arrayBuffer());
  assert.ok(downloaded.equals(objects[0].bytes), 'the download is the stored file');
  const clean = JSON.parse(downloaded.toString('utf8'));
  assert.equal(clean.log.version, recorded.log.version);
  assert.equal(clean.log.entries.length, recorded.log.entries.length);
  clean.log.entries.forEach((entry, i) => {
    const original = recorded.log.entries[i];
    assert.equal(new URL(entry.request.url).pathname, new URL(original.request.url).pathname);
    assert.equal(entry.response.status, original.response.status);
    assert.deepEqual(entry.timings, original.timings);
    assert.ok(Array.isArray(entry.request.headers) && Array.isArray(entry.request.cookies));
  });
  // Non-secret content stays.
  const ledger = clean.log.entries.find((e) => new URL(e.request.url).pathname === '/api/ledger');
  assert.deepEqual(JSON.parse(ledger.response.content.text), { entries: [101, 102, 103], user: 'dana' });
  assert.equal(new URL(ledger.request.url).searchParams.get('page'), '2');

  // The case page tells dana what was removed.
  const listed = await (await api(server.url, 'GET', `/api/v1/cases/${number}/attachments`, dana)).json();
  const words = listed[0].removed_words;
  assert.match(words, /cookies/);
  const browsing = await browser.newContext({ locale: 'en-US' });
  browsing.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const tab = await browsing.newPage();
  await tab.goto(new URL('/login', server.url).href);
  await tab.locator('#email').fill('dana@acme.example');
  await tab.locator('#password').fill(PASSWORD);
  await Promise.all([
    tab.waitForURL((u) => u.pathname === '/'),
    tab.locator('form[action="/login"] button[type=submit]').click(),
  ]);
  await tab.goto(new URL(`/cases/${number}`, server.url).href);
  const text = (await tab.locator('main').textContent()).replace(/\s+/g, ' ');
  assert.ok(text.includes('File attached: ledger.har'), `the case page names the file: ${text.slice(0, 2000)}`);
  assert.ok(text.includes(words), `the case page says "${words}"`);
  await browsing.close();
});

test('a zip of the recording and its log is stored with both scrubbed inside', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { secrets, har, recorded } = await recordProblem();
  const log = Buffer.from(
    `10:00:01 INFO  GET /api/ledger?access_token=${secrets.queryToken} 200\n` +
      `10:00:01 DEBUG Authorization: Bearer ${secrets.jwt}\n` +
      '10:00:02 INFO  ledger loaded, 3 entries\n',
  );
  const archive = storedZip([
    ['recording/ledger.har', har],
    ['logs/app.log', log],
  ]);

  const dana = await signIn(server.url, 'dana@acme.example');
  const number = await openCase(dana);
  const { status, body: stored } = await upload(dana, number, 'diagnostics.zip', archive);
  assert.equal(status, 201, JSON.stringify(stored));
  assert.equal(stored.kind, 'zip');
  assert.ok(stored.removed.cookies >= 4, `cookies removed: ${JSON.stringify(stored.removed)}`);
  assert.ok(stored.removed.authorization_headers > 0, `authorization headers removed: ${JSON.stringify(stored.removed)}`);

  // The stored archive, opened: both entries without a secret, the HAR
  // still a HAR; and no secret anywhere under the data directory.
  const files = await filesUnder(server.dataDir);
  const object = files.find(({ bytes }) => createHash('sha256').update(bytes).digest('hex') === stored.sha256);
  assert.ok(object, 'the stored archive is under the data directory');
  const entries = unzip(object.bytes);
  assert.deepEqual(entries.map(([name]) => name).sort(), ['logs/app.log', 'recording/ledger.har']);
  assertNoSecretIn(entries.map(([name, bytes]) => ({ file: `${object.file}:${name}`, bytes })), secrets);
  assertNoSecretIn(files, secrets);
  const clean = JSON.parse(entries.find(([name]) => name.endsWith('.har'))[1].toString('utf8'));
  assert.equal(clean.log.entries.length, recorded.log.entries.length);
  const cleanLog = entries.find(([name]) => name.endsWith('.log'))[1].toString('utf8');
  assert.match(cleanLog, /ledger loaded, 3 entries/);
});
