// Browser smoke test of the Guichet portal.
//
// Starts `guichet demo` on a free port with a fresh data directory, drives
// Debian's Chromium through playwright-core, and runs axe-core on every page
// it visits. See README.md in this folder for how to run it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
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

// Accessibility: these rule sets are run on every page; a violation whose
// impact is one of FAILING_IMPACTS fails the test.
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// ---------------------------------------------------------------------------
// Browser helpers

function pathOf(page) {
  return new URL(page.url()).pathname;
}

async function textOf(page, selector) {
  const text = await page.locator(selector).textContent();
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

/** Clicks `locator` (which submits a form or follows a link) and waits for the next page's load. */
async function clickAndLoad(page, locator) {
  const loaded = page.waitForEvent('load');
  await locator.click();
  await loaded;
}

async function logIn(page, base, email) {
  await page.goto(new URL('/login', base).href);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await clickAndLoad(page, page.locator('form[action="/login"] button[type=submit]'));
  assert.equal(pathOf(page), '/', `after signing in as ${email} the browser should be on /`);
}

function formatViolations(label, url, violations) {
  const lines = [`axe on ${label} (${url}): ${violations.length} violation(s)`];
  for (const v of violations) {
    lines.push(`  [${v.impact ?? 'n/a'}] ${v.id}: ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes) {
      lines.push(`      target: ${node.target.join(' ')}`);
      lines.push(`      html:   ${node.html.replace(/\s+/g, ' ').slice(0, 200)}`);
      if (node.failureSummary) {
        for (const s of node.failureSummary.split('\n')) lines.push(`        ${s.trim()}`);
      }
    }
  }
  return lines.join('\n');
}

/**
 * Runs axe-core on the current page. Every violation is printed; the serious
 * and critical ones are added to `failures` (asserted empty at the end of the
 * test, so that one run reports the problems of every page).
 */
async function checkA11y(page, label, failures) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(
    (tags) =>
      // eslint-disable-next-line no-undef
      axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    AXE_TAGS,
  );
  const { violations } = results;
  if (violations.length > 0) {
    console.log(formatViolations(label, page.url(), violations));
  }
  for (const v of violations.filter((v) => FAILING_IMPACTS.has(v.impact))) {
    failures.push(
      `${label}: [${v.impact}] ${v.id} (${v.help}) on ${v.nodes
        .map((n) => n.target.join(' '))
        .join(', ')}`,
    );
  }
}

function assertNoA11yFailures(failures) {
  if (failures.length > 0) {
    assert.fail(
      `axe-core found serious or critical accessibility violations ` +
        `(details printed above):\n  ${failures.join('\n  ')}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Setup

let server;
let browser;

before(async () => {
  server = await startServer('e2e');
  try {
    accessSync(CHROMIUM_PATH, fsConstants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` or set CHROMIUM_PATH`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopServer(server);
});

// Never leave a server behind if the runner is torn down abruptly.
process.once('exit', () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
});

async function newPage() {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  return { context, page };
}

// ---------------------------------------------------------------------------
// Tests

test('marie (French) signs in, reads her contact options, switches to English and signs out', { timeout: TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  const { context, page } = await newPage();
  try {
    // 1. The sign-in page.
    await page.goto(new URL('/login', server.url).href);
    assert.equal(await textOf(page, 'h1'), 'Sign in');
    await checkA11y(page, 'login', failures);

    // 2. Signing in lands on the home page, in her language: French.
    await logIn(page, server.url, 'marie@lumiere.example');
    assert.equal(await htmlLang(page), 'fr');
    assert.equal(await textOf(page, 'h1'), 'Bonjour, Marie Curien');
    await checkA11y(page, 'home (fr)', failures);

    // 3. The contact page, through the navigation link, in French.
    const contactLink = page.locator('header nav a[href="/contact"]');
    assert.equal(await textOf(page, 'header nav a[href="/contact"]'), "Contacter l'assistance");
    await clickAndLoad(page, contactLink);
    assert.equal(pathOf(page), '/contact');
    assert.equal(await htmlLang(page), 'fr');
    assert.equal(await textOf(page, 'h1'), "Contacter l'assistance");
    const mayOpen = page.locator('#may-open-case');
    assert.equal(await mayOpen.getAttribute('data-reason'), 'active_user');
    assert.equal(
      await textOf(page, '#may-open-case h2'),
      "Vous pouvez ouvrir une demande d'assistance",
    );
    assert.match(await textOf(page, 'section[aria-labelledby="phone-heading"]'), /01 70 73 16 40/);
    // R21, R22: the hours and lines of every region, hers first.
    assert.equal(
      await page.locator('table.hours tbody tr').first().getAttribute('data-region'),
      'france',
    );
    assert.equal(await page.locator('table.hours tbody tr').count(), 6);
    assert.match(await textOf(page, 'table.hours'), /du lundi au vendredi, 06:00–18:00/);
    assert.match(
      await textOf(page, 'section[aria-labelledby="manager-heading"]'),
      /Claire Fontaine/,
    );
    await checkA11y(page, 'contact (fr)', failures);

    // 4. Switching to English reloads the same page in English.
    const english = page.locator('form.language button[name=language][value=en]');
    assert.equal(await textOf(page, 'form.language button[name=language][value=fr]'), 'Français');
    assert.equal(await textOf(page, 'form.language button[name=language][value=en]'), 'English');
    await clickAndLoad(page, english);
    assert.equal(pathOf(page), '/contact');
    assert.equal(await htmlLang(page), 'en');
    assert.equal(await textOf(page, 'h1'), 'Contact support');
    assert.equal(await textOf(page, '#may-open-case h2'), 'You may open a support case');
    assert.equal(
      await page.locator('form.language button[value=en]').getAttribute('aria-pressed'),
      'true',
    );
    await checkA11y(page, 'contact (en)', failures);

    // 5. Signing out goes back to the sign-in page.
    const signOut = page.locator('form.logout button[type=submit]');
    assert.equal(await textOf(page, 'form.logout button[type=submit]'), 'Sign out');
    await clickAndLoad(page, signOut);
    assert.equal(pathOf(page), '/login');
    assert.equal(await textOf(page, 'h1'), 'Sign in');
    assert.equal(await page.locator('form.logout').count(), 0, 'no sign-out form once signed out');
    await checkA11y(page, 'login after sign-out', failures);
  } finally {
    await context.close();
  }
  assertNoA11yFailures(failures);
});

test('ulysse (not designated) may not open a case and is pointed to the designated contacts', { timeout: TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  const { context, page } = await newPage();
  try {
    await logIn(page, server.url, 'ulysse@acme.example');
    assert.equal(await htmlLang(page), 'en');

    await page.goto(new URL('/contact', server.url).href);
    assert.equal(pathOf(page), '/contact');
    assert.equal(await textOf(page, 'h1'), 'Contact support');
    assert.equal(
      await page.locator('#may-open-case').getAttribute('data-reason'),
      'designated_contact_required',
    );
    assert.ok(await page.locator('#may-open-case').evaluate((el) => el.classList.contains('refused')));
    assert.match(await textOf(page, '#may-open-case'), /dana@acme\.example/);
    assert.equal(
      await page.locator('#may-open-case a[href="mailto:dana@acme.example"]').count(),
      1,
    );
    await checkA11y(page, 'contact (ulysse, refused)', failures);
  } finally {
    await context.close();
  }
  assertNoA11yFailures(failures);
});

test('marie (French) logs a case through the wizard; an analyst answers with an update she then reads', { timeout: 2 * TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  const subject = `Les écritures ne se valident plus (${Date.now()})`;
  const done = 'Nous avons reproduit l’erreur GL-4012 sur une copie de votre grand livre.';
  const next = 'Un correctif est prévu vendredi ; nous vous tiendrons informée.';
  const marie = await newPage();
  const analyst = await newPage();
  try {
    const { page } = marie;
    // 1. Step 1 of the wizard, through the navigation, in French.
    await logIn(page, server.url, 'marie@lumiere.example');
    // Her language is a stored preference (the first test leaves it at
    // English): she switches back to French.
    await clickAndLoad(page, page.locator('form.language button[name=language][value=fr]'));
    assert.equal(await htmlLang(page), 'fr');
    const logLink = page.locator('header nav a[href="/cases/new"]');
    assert.equal(await textOf(page, 'header nav a[href="/cases/new"]'), 'Consigner une demande');
    await clickAndLoad(page, logLink);
    assert.equal(pathOf(page), '/cases/new');
    assert.equal(await htmlLang(page), 'fr');
    assert.equal(await textOf(page, 'h1'), 'Consigner une demande');
    assert.equal(await textOf(page, '.steps [aria-current="step"]'), 'Étape 1 sur 2 : ce qui est touché');
    await checkA11y(page, 'log a case, step 1 (fr)', failures);

    await page.locator('#product_area').selectOption('financials/general_ledger');
    await page.locator('#environment-production').check();
    await page.locator('#impact-blocked').check();
    await page.locator('#scope-group').check();
    await clickAndLoad(page, page.locator('form.wizard .buttons button[type=submit]'));

    // 2. Step 2: the assessed priority and its reasons, then the description.
    assert.equal(pathOf(page), '/cases/new');
    assert.equal(await textOf(page, '.steps [aria-current="step"]'), 'Étape 2 sur 2 : décrire le problème');
    assert.equal(await textOf(page, '#assessed-priority h2'), 'Cette demande sera en P2 parce que :');
    assert.match(await textOf(page, '#assessed-priority ul'), /bloqué/);
    await checkA11y(page, 'log a case, step 2 (fr)', failures);
    await page.locator('#subject').fill(subject);
    await page.locator('#description').fill('Erreur GL-4012 à la validation depuis ce matin.');
    await page.locator('#steps').fill('1. Ouvrir une écriture\n2. Valider');
    await page.locator('#expected').fill('L’écriture est validée.');
    await clickAndLoad(page, page.locator('form.wizard .buttons button[type=submit]'));

    // 3. The case page.
    const casePath = pathOf(page);
    assert.match(casePath, /^\/cases\/\d+$/, 'after logging the case the browser is on its page');
    assert.equal(await textOf(page, 'h1'), subject);
    assert.match(await textOf(page, '#priority'), /^P2 parce que :/);
    assert.match(await textOf(page, '.case-meta'), /Nouvelle/);
    await checkA11y(page, 'case page (marie, new)', failures);

    // 4. « Mes demandes » lists it.
    await clickAndLoad(page, page.locator('header nav a[href="/cases"]'));
    assert.equal(pathOf(page), '/cases');
    assert.equal(await textOf(page, 'h1'), 'Mes demandes');
    assert.equal(await page.locator(`table.cases a[href="${casePath}"]`).count(), 1);
    assert.equal(await textOf(page, `table.cases a[href="${casePath}"]`), subject);
    await checkA11y(page, 'my cases (fr)', failures);

    // 5. The analyst answers with an update from the case page.
    const a = analyst.page;
    await logIn(a, server.url, 'analyst@support.example');
    await a.goto(new URL('/queue', server.url).href);
    assert.equal(await textOf(a, 'h1'), 'Queue');
    await checkA11y(a, 'queue (analyst)', failures);
    await a.goto(new URL(casePath, server.url).href);
    assert.equal(await textOf(a, 'h1'), subject);
    await checkA11y(a, 'case page (analyst)', failures);
    await a.locator('#answer-kind').selectOption('update');
    await a.locator('#answer-done').fill(done);
    await a.locator('#answer-next').fill(next);
    await clickAndLoad(a, a.locator('#form-answer button[type=submit]'));
    assert.equal(pathOf(a), casePath);
    assert.match(await textOf(a, '#timeline'), /Progress update/);

    // 6. Marie reloads her case page: the update, in two labelled parts.
    await page.goto(new URL(casePath, server.url).href);
    const update = page.locator('#timeline li.entry-answered').last();
    assert.equal(await update.locator('h3').textContent().then((t) => t.trim()), "Point d'avancement");
    const labels = (await update.locator('h4').allTextContents()).map((t) => t.trim());
    assert.deepEqual(labels, ['Ce qui a été fait', 'Ce qui va suivre']);
    const texts = (await update.locator('p.text').allTextContents()).map((t) => t.trim());
    assert.deepEqual(texts, [done, next]);
    assert.match(await textOf(page, '.case-meta'), /En cours/);
    await checkA11y(page, 'case page (marie, answered)', failures);
  } finally {
    await marie.context.close();
    await analyst.context.close();
  }
  assertNoA11yFailures(failures);
});

test('a support manager reviews the escalation requests; ulysse is sent to a designated user', { timeout: TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  const lead = await newPage();
  const ulysse = await newPage();
  try {
    const { page } = lead;
    await logIn(page, server.url, 'lead@support.example');
    await clickAndLoad(page, page.locator('header nav a[href="/escalations"]'));
    assert.equal(pathOf(page), '/escalations');
    assert.equal(await textOf(page, 'h1'), 'Escalation requests');
    await checkA11y(page, 'escalation requests (manager)', failures);
    await page.goto(new URL('/cases', server.url).href);
    assert.equal(await textOf(page, 'h1'), 'All cases');
    await checkA11y(page, 'all cases (manager)', failures);

    const u = ulysse.page;
    await logIn(u, server.url, 'ulysse@acme.example');
    await u.goto(new URL('/cases/new', server.url).href);
    assert.equal(
      await u.locator('#may-open-case').getAttribute('data-reason'),
      'designated_contact_required',
    );
    assert.equal(await u.locator('form[action="/cases/new"]').count(), 0, 'no wizard');
    assert.equal(await u.locator('#may-open-case a[href="mailto:dana@acme.example"]').count(), 1);
    await checkA11y(u, 'log a case, refused (ulysse)', failures);
  } finally {
    await lead.context.close();
    await ulysse.context.close();
  }
  assertNoA11yFailures(failures);
});

// ---- knowledge base and help center (issue 5) ----
test('the help widget on the demo host page shows help for its page, searches and offers contact support; the wizard suggests articles', { timeout: 2 * TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  // The host page runs with the real Content-Security-Policy (no bypass):
  // the widget must work under `script-src 'self'`.
  const context = await browser.newContext({ locale: 'fr-FR' });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const audit = await newPage();
  try {
    // 1. The host page carries one tag; the widget adds its button.
    await page.goto(new URL('/widget/demo', server.url).href);
    const toggle = page.locator('button.guichet-help-toggle');
    assert.equal(await toggle.textContent(), 'Aide');
    assert.equal(await page.locator('#guichet-help').isHidden(), true);
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');

    // 2. Help on this page (gl/journal-entry/new), in French.
    assert.equal(await textOf(page, '#guichet-help .guichet-context h2'), 'Aide sur cette page');
    const context_links = page.locator('#guichet-help .guichet-context li a');
    await context_links.first().waitFor();
    const titles = await context_links.allTextContents();
    assert.ok(titles.includes('Saisir une écriture de journal manuelle'), titles.join(' | '));
    assert.match(await context_links.first().getAttribute('href'), /\/help\/articles\/[a-z0-9-]+\?lang=fr$/);

    // 3. Search from the widget: an error code.
    await page.locator('#guichet-help .guichet-search input').fill('GL-4012');
    await page.locator('#guichet-help .guichet-search button').click();
    const found = page.locator('#guichet-help .guichet-results li a');
    await found.first().waitFor();
    assert.match(await found.first().textContent(), /période comptable est clôturée/);

    // 4. Contact support, signed out: sign in first.
    const signIn = page.locator('#guichet-help .guichet-contact a');
    await signIn.first().waitFor();
    assert.match(await signIn.first().getAttribute('href'), /\/login\?next=\/contact$/);

    // 5. Signed in as Marie (France: any active user may open a case), the
    //    widget offers to log a case and the line to call.
    await page.goto(new URL('/login', server.url).href);
    await page.locator('#email').fill('marie@lumiere.example');
    await page.locator('#password').fill(PASSWORD);
    await clickAndLoad(page, page.locator('form[action="/login"] button[type=submit]'));
    await page.goto(new URL('/widget/demo', server.url).href);
    await page.locator('button.guichet-help-toggle').click();
    const logCase = page.locator('#guichet-help a.guichet-log-case');
    await logCase.waitFor();
    assert.equal(await logCase.textContent(), "Ouvrir une demande d'assistance");
    assert.match(await textOf(page, '#guichet-help .guichet-contact'), /01 70 73 16 40/);

    // 6. R11: the log-a-case form suggests articles as the subject is typed.
    await page.goto(new URL('/cases/new', server.url).href);
    await page.locator('#product_area').selectOption('financials/general_ledger');
    await page.locator('#environment-production').check();
    await page.locator('#impact-blocked').check();
    await page.locator('#scope-group').check();
    await clickAndLoad(page, page.locator('form.wizard .buttons button[type=submit]'));
    assert.equal(await page.locator('#case-suggestions').isHidden(), true);
    await page.locator('#subject').pressSequentially('ecriture desequilibree', { delay: 20 });
    const suggestion = page.locator('#case-suggestions li a').first();
    await suggestion.waitFor();
    assert.match(await suggestion.getAttribute('href'), /from=case&product=financials$/);
    assert.match(await textOf(page, '#case-suggestions'), /déséquilibrée/);

    // 7. The help center, checked for accessibility (axe needs CSP bypassed).
    await audit.page.goto(new URL('/help?q=rapprochement', server.url).href);
    assert.equal(await textOf(audit.page, 'h1'), 'Help center');
    await checkA11y(audit.page, 'help center (search)', failures);
    await audit.page.goto(new URL('/help/articles/bank-reconciliation', server.url).href);
    assert.equal(await textOf(audit.page, 'h1'), 'Reconcile a bank account');
    await checkA11y(audit.page, 'help article', failures);
    await audit.page.goto(new URL('/widget/demo', server.url).href);
    await audit.page.locator('button.guichet-help-toggle').click();
    await audit.page.locator('#guichet-help .guichet-context li a').first().waitFor();
    await checkA11y(audit.page, 'widget on the demo host page', failures);
  } finally {
    await context.close();
    await audit.context.close();
  }
  assertNoA11yFailures(failures);
});

test('anyone reads the status page in English and French, without signing in; dana sees the incident while logging a case', { timeout: 2 * TEST_TIMEOUT_MS }, async () => {
  const failures = [];
  const english = await newPage();
  const frContext = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
  frContext.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const french = await frContext.newPage();
  const dana = await newPage();
  try {
    // 1. R24: the status page, signed out, in English.
    const { page } = english;
    await page.goto(new URL('/status', server.url).href);
    assert.equal(await htmlLang(page), 'en');
    assert.equal(await textOf(page, 'h1'), 'System status');
    assert.equal(await page.locator('section.status-product').count(), 2);
    assert.match(
      await textOf(page, 'section[data-product="financials"] ul.plain'),
      /Every Friday, 19:30–23:30 \(America\/Los_Angeles\)/,
    );
    assert.match(
      await textOf(page, 'section[data-product="time"] ul.plain'),
      /Every Saturday, 23:00–01:00 \(America\/Los_Angeles\)/,
    );
    assert.match(await textOf(page, 'section[data-product="time"]'), /Slow responses from the Intelligent Time API/);
    assert.equal(await page.locator('section[data-product="time"]').getAttribute('data-status'), 'degraded_performance');
    assert.ok((await page.locator('#history article.status-incident').count()) >= 3, 'three resolved incidents');
    assert.equal(await page.locator('script').count(), 0, 'no JavaScript');
    await checkA11y(page, 'status (en)', failures);

    // Times in the reader's zone, chosen without JavaScript.
    await page.locator('#tz').fill('Europe/Paris');
    await clickAndLoad(page, page.locator('form.status-zone button[type=submit]'));
    assert.match(await textOf(page, '#times-in'), /Europe\/Paris/);

    // 2. The same page in French (the browser's language).
    await french.goto(new URL('/status', server.url).href);
    assert.equal(await htmlLang(french), 'fr');
    assert.equal(await textOf(french, 'h1'), 'État des systèmes');
    assert.match(await textOf(french, 'section[data-product="time"]'), /Performances dégradées/);
    assert.match(await textOf(french, 'section[data-product="time"]'), /Incidents en cours/);
    await checkA11y(french, 'status (fr)', failures);

    // 3. R24: the log-a-case form tells dana of the incident before she
    // describes her problem.
    const d = dana.page;
    await logIn(d, server.url, 'dana@acme.example');
    await d.goto(new URL('/cases/new', server.url).href);
    await d.locator('#product_area').selectOption('time/timesheets');
    await d.locator('#environment-production').check();
    await d.locator('#impact-degraded').check();
    await d.locator('#scope-group').check();
    await clickAndLoad(d, d.locator('form.wizard .buttons button[type=submit]'));
    assert.match(await textOf(d, '#known-issues h2'), /Known issues with Intelligent Time/);
    assert.match(await textOf(d, '#incident-choices'), /Slow responses from the Intelligent Time API/);
    await checkA11y(d, 'log a case, step 2 with known issues', failures);
  } finally {
    await english.context.close();
    await frContext.close();
    await dana.context.close();
  }
  assertNoA11yFailures(failures);
});
