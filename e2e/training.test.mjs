// Browser test of the training catalogue (R10): Marie, in French, browses
// the catalogue, filters it, opens a course, enrols in a session, finds it
// under « Mes formations » with its invitation, and axe-core checks every
// page on the way.
//
// Starts its own `guichet demo` on a free port with a fresh data directory
// (see README.md in this folder).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

import {
  ACTION_TIMEOUT_MS,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  PASSWORD,
  startServer,
  stopServer,
} from './demo.mjs';

const require = createRequire(import.meta.url);

const TEST_TIMEOUT_MS = 60_000;
const COURSE = 'Les bases de la comptabilité générale';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function clickAndLoad(page, locator) {
  const loaded = page.waitForEvent('load');
  await locator.click();
  await loaded;
}

async function checkA11y(page, label, failures) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const { violations } = await page.evaluate(
    (tags) =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  for (const v of violations) {
    console.log(`axe on ${label}: [${v.impact}] ${v.id}: ${v.help} on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  for (const v of violations.filter((v) => FAILING_IMPACTS.has(v.impact))) {
    failures.push(`${label}: [${v.impact}] ${v.id}`);
  }
}

let server;
let browser;

before(async () => {
  server = await startServer('e2e-training');
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopServer(server);
});

process.once('exit', () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
});

test('marie enrols in a course from the catalogue, in French', { timeout: TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const base = server.url;

  await page.goto(new URL('/login', base).href);
  await page.locator('#email').fill('marie@lumiere.example');
  await page.locator('#password').fill(PASSWORD);
  await clickAndLoad(page, page.locator('form[action="/login"] button[type=submit]'));
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');

  // The nav link « Formation » leads to the catalogue.
  await clickAndLoad(page, page.getByRole('link', { name: 'Formation', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/training');
  assert.equal(await page.locator('h1').textContent(), 'Formation');
  await checkA11y(page, 'catalogue', failures);

  // Filter: French, classroom.
  await page.getByLabel('Langue', { exact: true }).selectOption('fr');
  await page.getByLabel('Format', { exact: true }).selectOption('classroom');
  await clickAndLoad(page, page.getByRole('button', { name: 'Afficher', exact: true }));
  const titles = await page.locator('ul.courses h2').allTextContents();
  assert.ok(titles.includes(COURSE), `the filtered catalogue lists ${COURSE}: ${titles}`);
  assert.ok(!titles.some((t) => t.includes('General ledger')), 'only French courses');

  // The course page: sessions in their own time zone; enrol in the first.
  await clickAndLoad(page, page.getByRole('link', { name: COURSE }));
  assert.equal(await page.locator('h1').textContent(), COURSE);
  const firstSession = page.locator('article.session').first();
  assert.match(await firstSession.locator('h3').textContent(), /\d{4}-\d{2}-\d{2} 09:00 \(Europe\/Paris\)/);
  await checkA11y(page, 'course', failures);
  await clickAndLoad(page, firstSession.getByRole('button', { name: "M'inscrire" }));
  assert.equal(await page.locator('p.notice').textContent(), 'Inscription confirmée.');
  assert.match(await page.locator('article.session').first().textContent(), /Inscrit/);

  // « Mes formations » lists it, with its invitation.
  await clickAndLoad(page, page.getByRole('link', { name: 'Mes formations' }).first());
  const enrolment = page.locator('article.enrolment', { hasText: COURSE });
  assert.match(await enrolment.locator('.enrolment-status').textContent(), /Inscrit/);
  const invitation = await enrolment.getByRole('link', { name: 'Ajouter à mon agenda (.ics)' }).getAttribute('href');
  const response = await page.request.get(new URL(invitation, base).href);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/calendar/);
  assert.match(await response.text(), /DTSTART;TZID=Europe\/Paris:\d{8}T090000/);
  await checkA11y(page, 'my training', failures);

  await context.close();
  assert.deepEqual(failures, [], 'no serious or critical accessibility violation');
});
