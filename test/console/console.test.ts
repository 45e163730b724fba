/// <reference lib="dom" />
// The page functions below run in the browser: they see the DOM, not Node.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureTopics } from '@ampseal/kafka';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { adminSetUp } from '../harness/admin';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';
import { authorizeEnvelope, transformWith } from '../harness/transform';

/**
 * The privacy console (services/shredder/src/console) in a real headless browser: Debian's Chromium, driven by
 * playwright-core with its path set (infra/chromium.sh installs it; CI runs that first). From sign-in to the receipt
 * against the shared stack, and what an unauthenticated browser gets: the sign-in page and nothing else.
 */
const resources = useResources({ budgetMs: 240_000 });

const CHROMIUM = process.env.AMPSEAL_CHROMIUM ?? '/usr/bin/chromium';
const OPERATOR = 'priya';

describe('the privacy console in a browser', () => {
  const admin = adminSetUp(resources, [OPERATOR]);
  const env = pipelineEnv({ ...admin.env, AMPSEAL_TENANTS: 'acme-cpo,voltway-cpo', AMPSEAL_GROUP_ID: `console-${randomBytes(4).toString('hex')}` });
  const config = loadConfig(env);
  const { logger, lines } = captureLogger('info');
  // Two cards of one person (fake values: random), the identifiers the browser types.
  const cards = [randomBytes(7).toString('hex').toUpperCase(), randomBytes(7).toString('hex').toUpperCase()];
  const requestId = `console-${randomBytes(4).toString('hex')}`;
  /** Every URL the browser asked for (navigations, redirects, sub-resources). */
  const visited: string[] = [];
  /** The response headers of every page (HTML document) the browser got from the console. */
  const documents: Array<{ url: string; status: number; headers: Record<string, string> }> = [];
  let base = '';
  let browser: Browser;
  let page: Page;
  let tokens: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: run "bash infra/chromium.sh" (CI does, before the tests) or set AMPSEAL_CHROMIUM`);
    }
    const shredder = createShredder(config, logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    base = `http://127.0.0.1:${shredder.admin!.port}`;
    // The raw and quarantine topics the plan describes (the pseudonymizer would create them), raw kept 7 days.
    const week = String(7 * 86_400_000);
    await ensureTopics(kafkaClient('console-topics'), [
      { topic: config.topics.ocppRaw, partitions: 1, config: { 'retention.ms': week } },
      { topic: config.topics.ocpiRaw, partitions: 1, config: { 'retention.ms': week } },
      { topic: config.topics.quarantine, partitions: 1, config: { 'retention.ms': week } },
    ]);

    // The person's cards have live keys and tokens, as after pseudonymization.
    const keyring = resources.add('keyring', await openKeyRing('redis', config, logger), (k) => k.stop());
    const results = await transformWith(keyring).run(cards.map((card, i) => ({ eventId: `e${i}`, value: authorizeEnvelope(card) })));
    tokens = results.map((r) => (r.status === 'emitted' ? (r.analytics!.identifiers[0]!.token ?? '') : ''));
    expect(tokens.every((t) => t.length > 0)).toBe(true);

    // As root (CI) Chromium's sandbox needs user namespaces it may not have: the browser only ever loads this test's pages.
    browser = resources.add('chromium', await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 60_000 }), (b) => b.close());
    const context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('request', (r) => visited.push(r.url()));
    page.on('response', (r: Response) => {
      if (r.request().resourceType() === 'document') documents.push({ url: r.url(), status: r.status(), headers: r.headers() });
    });
  });

  const onSignInPageOnly = async () => {
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    // Nothing of the console: no navigation, no form but the sign-in one.
    expect(await page.locator('nav').count()).toBe(0);
    expect(await page.locator('form').count()).toBe(1);
  };

  it('gives an unauthenticated browser the sign-in page and nothing else', async () => {
    for (const path of ['/', '/console', '/console/requests/new', '/console/requests', `/console/requests/${requestId}`, '/console/audit', '/console/audit?page=2', '/console/epochs', '/console/plan', '/console/nothing-here']) {
      await page.goto(`${base}${path}`);
      await onSignInPageOnly();
    }
    // The JSON API answers 401 and nothing more to a browser without a bearer token.
    const api = await page.goto(`${base}/admin/v1/requests/${requestId}`);
    expect(api!.status()).toBe(401);
    expect(await api!.text()).toBe('{"error":"unauthorized"}');
    // A form posted without a session is sent to sign in, nothing planned or submitted.
    const post = await page.request.post(`${base}/console/requests`, { form: { tenant: 'acme-cpo', identifier: `uid:${cards[0]}`, reason: 'x', requestId }, maxRedirects: 0 });
    expect(post.status()).toBe(303);
    expect(post.headers().location).toBe('/console/sign-in');
    // A wrong token: refused on the sign-in page.
    await page.goto(`${base}/console/sign-in`);
    await page.locator('#token').fill(`${admin.tokens[OPERATOR]!.slice(0, -2)}xx`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await onSignInPageOnly();
    expect(await page.getByRole('alert').textContent()).toContain('AMPSEAL_ERR_CONSOLE_SIGN_IN_REQUIRED');
  });

  it('signs in with the keyboard, plans an erasure of two identifiers, confirms it and follows it to the receipt', async () => {
    await page.goto(`${base}/console/sign-in`);
    // The token field takes the focus on arrival (autofocus, applied at the browser's next rendering step): type and
    // press Enter.
    await page.waitForFunction(() => document.activeElement?.id === 'token');
    await page.keyboard.type(admin.tokens[OPERATOR]!);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/console/requests/new`);
    expect(await page.locator('header').textContent()).toContain(`Signed in as ${OPERATOR}`);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'ampseal_console', httpOnly: true, sameSite: 'Strict', path: '/console' });

    // Accessible: the language declared, one h1, every visible control labelled, and the keyboard focus visible.
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').count()).toBe(1);
    const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (controls) =>
      controls.filter((c) => ((c as HTMLInputElement).labels?.length ?? 0) === 0).map((c) => c.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await page.locator('#tenant').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => [document.activeElement?.getAttribute('name'), getComputedStyle(document.activeElement!).outlineStyle])).toEqual(['action', 'solid']);
    // Every input has a label (the form is filled through them).
    await page.getByLabel('Tenant').selectOption('acme-cpo');
    await page.getByRole('radio', { name: 'erase' }).check();
    await page.getByLabel('Identifiers').fill(`uid:${cards[0]!.toLowerCase()}\nuid:${cards[1]}`);
    await page.getByLabel('Reason').fill('GDPR Art. 17, ticket 4711');
    await page.getByLabel('Request id').fill(requestId);
    await page.getByRole('button', { name: 'Show the plan' }).click();

    // The dry-run plan: both identifiers, their live tokens, nothing changed yet.
    await page.waitForURL(`${base}/console/plan`);
    expect(await page.locator('h1').textContent()).toBe('Plan: erase for tenant acme-cpo');
    const plan = (await page.locator('main').textContent())!;
    expect(plan).toContain('nothing has changed yet');
    for (const [i, card] of cards.entries()) {
      expect(plan).toContain(`uid:${card}`);
      expect(plan).toContain(tokens[i]!);
    }
    // The JSON API (POST /admin/v1/plans, a bearer token) answers the same plan: same tokens, same clear-copy topics.
    const api = await fetch(`${base}/admin/v1/plans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.tokens[OPERATOR]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme-cpo', identifiers: cards.map((value) => ({ kind: 'uid', value })) }),
    });
    expect(api.status).toBe(200);
    const apiPlan = (await api.json()) as { identifiers: Array<{ typed: string; token: string }>; clearCopies: Array<{ topic: string }> };
    expect(apiPlan.identifiers.map((i) => [i.typed, i.token])).toEqual(cards.map((card, i) => [`uid:${card}`, tokens[i]]));
    for (const { topic } of apiPlan.clearCopies) expect(plan).toContain(topic);
    if (process.env.AMPSEAL_CONSOLE_SCREENSHOT) {
      mkdirSync(dirname(process.env.AMPSEAL_CONSOLE_SCREENSHOT), { recursive: true });
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.screenshot({ path: process.env.AMPSEAL_CONSOLE_SCREENSHOT, fullPage: true });
    }

    // Confirm: the request is signed and submitted, and the browser lands on its status page, which reloads
    // itself until the receipt is there.
    await page.getByRole('button', { name: 'Confirm: erase now' }).click();
    await page.waitForURL(`${base}/console/requests/${requestId}`);
    await page.locator('.status-done').waitFor({ timeout: 60_000 });
    const receipt = (await page.locator('main dl').textContent())!;
    expect(receipt).toContain('Tokens retired2');
    expect(receipt).toContain('Erased2');
    expect(receipt).not.toContain(cards[0]!);

    // The key ring agrees: no live token left for either card.
    const keyring = resources.add('keyring (check)', await openKeyRing('redis', config, logger), (k) => k.stop());
    const states = await keyring.currentTokens('acme-cpo', cards.map((value) => ({ kind: 'uid' as const, value })));
    expect(states.map((s) => s.token)).toEqual([null, null]);
  }, 120_000);

  it('shows the operator, the request and the counts in the audit log, never an identifier', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${base}/console/audit`);
    const rows = await page.locator('tbody tr').allTextContents();
    const submitted = rows.find((r) => r.includes('(submit)'));
    expect(submitted).toContain(OPERATOR);
    expect(submitted).toContain(requestId);
    expect(rows.some((r) => r.includes('(plan)') && r.includes(OPERATOR))).toBe(true);
    expect(rows.some((r) => r.includes('(not signed in)'))).toBe(true);
    const text = (await page.locator('main').textContent())!;
    for (const card of cards) expect(text.toUpperCase()).not.toContain(card);
  });

  it('refuses a form without this session\'s form token, or from another site', async () => {
    const form = { tenant: 'acme-cpo', identifiers: `uid:${cards[0]}`, reason: 'x', requestId: 'never-planned' };
    const noToken = await page.request.post(`${base}/console/plan`, { form, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const formToken = await page.locator('input[name=formToken]').first().getAttribute('value');
    const crossSite = await page.request.post(`${base}/console/plan`, { form: { ...form, formToken: formToken! }, headers: { origin: 'https://evil.example' }, maxRedirects: 0 });
    expect(crossSite.status()).toBe(403);
    for (const refused of [noToken, crossSite]) expect((await refused.text()).toUpperCase()).not.toContain(cards[0]);
  });

  it('signs out: the session is gone and the console is closed again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console/sign-in`);
    await page.goto(`${base}/console/audit`);
    await onSignInPageOnly();
  });

  it('sent the protective headers on every page, no identifier in any URL, and none in the shredder log', () => {
    expect(documents.length).toBeGreaterThan(10);
    for (const d of documents.filter((doc) => new URL(doc.url).pathname.startsWith('/console'))) {
      expect({ url: d.url, headers: d.headers }).toEqual({
        url: d.url,
        headers: expect.objectContaining({
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'x-frame-options': 'DENY',
          'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
        }),
      });
      expect(d.headers['content-security-policy']).toContain("default-src 'self'");
    }
    expect(visited.length).toBeGreaterThan(10);
    const urls = visited.join('\n').toUpperCase();
    const log = lines.join('').toUpperCase();
    expect(log).toContain(`"OPERATOR":"${OPERATOR.toUpperCase()}"`);
    for (const card of cards) {
      expect(urls).not.toContain(card);
      expect(log).not.toContain(card);
    }
    // Nor the operator's token.
    expect(lines.join('')).not.toContain(admin.tokens[OPERATOR]!);
  });
});
