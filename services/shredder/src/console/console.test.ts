import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { AmpsealError, type SubjectRequest } from '@ampseal/core';
import { createLogger } from '@ampseal/service-kit';
import { AuditLog } from '../audit-log';
import { assemblePlan } from '../erasure-plan';
import { StatusIndex } from '../status-index';
import { adminConsole, CONSOLE_HEADERS } from './console';
import { epochsPage, escape } from './pages';
import { SessionStore } from './session';

/**
 * The console's HTTP behaviour on a real local server, with the plan and the submission given as plain functions (the
 * browser test in test/console runs the whole flow against the stack).
 */
const TOKEN = randomBytes(32).toString('base64url');
const CARD = 'C0FFEE00112233';
const VEHICLE = 'DE8ACC9A1B2C3D';
const lines: string[] = [];
const logger = createLogger({ level: 'info', name: 'console-test' }, new Writable({ write: (c, _e, done) => (lines.push(c.toString()), done()) }));

let server: Server;
let base = '';
let submitted: SubjectRequest[] = [];
let failNext: AmpsealError | undefined;
const status = new StatusIndex();
const audit = new AuditLog(logger, 5);

beforeAll(async () => {
  const handler = adminConsole({
    operators: [{ name: 'alice', tokenSha256: createHash('sha256').update(TOKEN).digest() }],
    sessions: new SessionStore(60_000),
    audit,
    status,
    tenants: ['acme-cpo'],
    tls: false,
    plan: async (tenant, identifiers) => {
      if (failNext) throw failNext;
      return assemblePlan({
        tenant,
        typed: identifiers,
        subjects: identifiers.map((id) => ({ kind: id.kind, ref: 'ref', token: 'tok', generation: 0, restricted: false, tombstoneGeneration: -1, erasedAt: null, linked: [] })),
        topics: [],
        rawRetentionMs: 86_400_000,
        tombstoneLifetimeMs: 86_400_000,
        now: 0,
      });
    },
    submit: async (request) => {
      if (failNext) throw failNext;
      submitted.push(request);
    },
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  submitted = [];
  failNext = undefined;
});

function get(path: string, cookie?: string) {
  return fetch(`${base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

function post(path: string, form: Record<string, string | string[]>, cookie?: string, headers: Record<string, string> = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
  return fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', body, headers: { ...(cookie ? { cookie } : {}), ...headers } });
}

async function signIn(): Promise<{ cookie: string; formToken: string }> {
  const res = await post('/console/sign-in', { token: TOKEN });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await get('/console/requests/new', cookie)).text();
  const formToken = /name="formToken" value="([^"]+)"/.exec(page)![1]!;
  return { cookie, formToken };
}

const request = { tenant: 'acme-cpo', action: 'erase', reason: 'ticket 1', requestId: 'ticket-1' };

describe('the console before sign-in', () => {
  it('redirects every page, form and unknown path to the sign-in page, with the protective headers', async () => {
    for (const path of ['/', '/console', '/console/requests/new', '/console/requests/x', '/console/audit', '/console/epochs', '/console/nope']) {
      const res = await get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/console/sign-in');
      for (const [name, value] of Object.entries(CONSOLE_HEADERS)) expect(res.headers.get(name)).toBe(value);
    }
    const posted = await post('/console/requests', { ...request, identifier: `uid:${CARD}` });
    expect(posted.status).toBe(303);
    expect(submitted).toEqual([]);
  });

  it('refuses a wrong token with 401 and closes the connection; a right one gets an HttpOnly, SameSite=Strict session cookie', async () => {
    const wrong = await post('/console/sign-in', { token: `${TOKEN.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('connection')).toBe('close');
    expect(await wrong.text()).toContain('AMPSEAL_ERR_CONSOLE_SIGN_IN_REQUIRED');
    const right = await post('/console/sign-in', { token: TOKEN });
    expect(right.headers.get('set-cookie')).toMatch(/^ampseal_console=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  });

  it('refuses a sign-in posted from another site (login CSRF)', async () => {
    expect((await post('/console/sign-in', { token: TOKEN }, undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/console/sign-in', { token: TOKEN }, undefined, { origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('the console after sign-in', () => {
  it('refuses a form without the session form token or from another site', async () => {
    const { cookie, formToken } = await signIn();
    expect((await post('/console/plan', { ...request, identifiers: `uid:${CARD}` }, cookie)).status).toBe(403);
    expect((await post('/console/plan', { ...request, identifiers: `uid:${CARD}`, formToken: `${formToken}x` }, cookie)).status).toBe(403);
    expect((await post('/console/plan', { ...request, identifiers: `uid:${CARD}`, formToken }, cookie, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
  });

  it('shows the plan with the identifiers typed, submitting nothing', async () => {
    const { cookie, formToken } = await signIn();
    const res = await post('/console/plan', { ...request, identifiers: `uid:${CARD}\n\n  emaid:${VEHICLE}  \n`, formToken }, cookie);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`uid:${CARD}`);
    expect(page).toContain('name="identifier" value="uid:C0FFEE00112233"');
    expect(submitted).toEqual([]);
  });

  it('answers a bad identifier with its line number, never a value, and does not echo the others', async () => {
    const { cookie, formToken } = await signIn();
    const res = await post('/console/plan', { ...request, identifiers: `uid:${CARD}\nnope:${VEHICLE}`, formToken }, cookie);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('AMPSEAL_ERR_CONSOLE_BAD_FORM');
    expect(page).toMatch(/identifiers\[1\]: unknown identifier kind/);
    expect(page).not.toContain(CARD);
    expect(page).not.toContain(VEHICLE);
    // The rest of the form comes back.
    expect(page).toContain('value="ticket-1"');
  });

  it('submits on confirm and redirects to the status page by request id (POST-redirect-GET)', async () => {
    const { cookie, formToken } = await signIn();
    const res = await post('/console/requests', { ...request, identifier: [`uid:${CARD.toLowerCase()}`, `uid:${VEHICLE}`], formToken }, cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/requests/ticket-1');
    expect(submitted).toEqual([expect.objectContaining({ requestId: 'ticket-1', tenant: 'acme-cpo', action: 'erase', identifiers: [{ kind: 'uid', value: CARD }, { kind: 'uid', value: VEHICLE }] })]);
    const statusPage = await (await get('/console/requests/ticket-1', cookie)).text();
    expect(statusPage).toContain('pending');
    expect(statusPage).toContain('<meta http-equiv="refresh" content="2">');
    expect(statusPage).not.toContain(CARD);
  });

  it('answers a reused request id with 409 and a dependency down with 503, never echoing an identifier', async () => {
    const { cookie, formToken } = await signIn();
    failNext = new AmpsealError('REQUEST_ID_REUSED', 'some detail');
    const reused = await post('/console/requests', { ...request, identifier: `uid:${CARD}`, formToken }, cookie);
    expect(reused.status).toBe(409);
    const reusedPage = await reused.text();
    expect(reusedPage).toContain('AMPSEAL_ERR_REQUEST_ID_REUSED');
    expect(reusedPage).not.toContain(CARD);
    failNext = new AmpsealError('KEYRING_UNAVAILABLE');
    const down = await post('/console/plan', { ...request, identifiers: `uid:${CARD}`, formToken }, cookie);
    expect(down.status).toBe(503);
    const downPage = await down.text();
    expect(downPage).toContain('AMPSEAL_ERR_KEYRING_UNAVAILABLE');
    expect(downPage).not.toContain(CARD);
  });

  it('puts only counts in the audit trail and the log, and pages the audit newest first', async () => {
    const { cookie } = await signIn();
    const page = await (await get('/console/audit', cookie)).text();
    // Capacity 5 in this test: the newest five entries, the sign-in just now on top.
    expect(page).toContain('Page 1 of 1 (5 entries)');
    expect(page.indexOf('(sign-in)')).toBeLessThan(page.indexOf('</tbody>'));
    const log = lines.join('');
    expect(log).toContain('"event":"admin.call"');
    expect(log).toContain('"step":"submit"');
    expect(log).not.toContain(CARD);
    expect(log).not.toContain(VEHICLE);
    expect(log).not.toContain(TOKEN);
  });

  it('names an unknown path in the audit trail only as (other), and answers a malformed request id with 404', async () => {
    const { cookie } = await signIn();
    expect((await get(`/console/uid:${CARD}`, cookie)).status).toBe(404);
    expect((await get('/console/requests/%E0%A4%A', cookie)).status).toBe(404);
    expect(lines.join('')).toContain('"route":"/console/(other)"');
    expect(lines.join('')).not.toContain(CARD);
  });

  it('signs out: the cookie is cleared and the session no longer opens a page', async () => {
    const { cookie, formToken } = await signIn();
    const out = await post('/console/sign-out', { formToken }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^ampseal_console=; .*Max-Age=0/);
    expect((await get('/console/audit', cookie)).headers.get('location')).toBe('/console/sign-in');
  });
});

describe('behind an authenticating proxy (AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER)', () => {
  let proxied: Server;
  let url = '';
  beforeAll(async () => {
    proxied = createServer(
      adminConsole({
        operators: [{ name: 'bob@example.org', tokenSha256: createHash('sha256').update(TOKEN).digest() }],
        sessions: new SessionStore(60_000),
        audit: new AuditLog(logger),
        status,
        tenants: [],
        // As if behind TLS (the handler only reads the flag): the cookie must then be Secure.
        tls: true,
        trustedHeader: 'x-forwarded-email',
        plan: () => Promise.reject(new Error('not planned here')),
        submit: () => Promise.reject(new Error('not submitted here')),
      }),
    );
    await new Promise<void>((resolve) => proxied.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(proxied.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => proxied.close(() => resolve())));

  it('signs in the operator the header names, and back to the page asked for', async () => {
    const res = await fetch(`${url}/console/audit?page=1`, { redirect: 'manual', headers: { 'x-forwarded-email': 'bob@example.org' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/audit?page=1');
    expect(res.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(`${url}/console/audit?page=1`, { redirect: 'manual', headers: { cookie, 'x-forwarded-email': 'bob@example.org' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as <strong>bob@example.org</strong>');
  });

  it('refuses a header naming no operator, and without the header asks for a token as usual', async () => {
    const stranger = await fetch(`${url}/console/audit`, { redirect: 'manual', headers: { 'x-forwarded-email': 'mallory@example.org' } });
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).not.toContain('mallory');
    expect((await fetch(`${url}/console/audit`, { redirect: 'manual' })).headers.get('location')).toBe('/console/sign-in');
  });
});

describe('token epochs page', () => {
  const session = { operator: 'alice', formToken: 'f' };

  it('says there are no epochs when no tenant sets a linkability window (the console above has none)', async () => {
    const { cookie } = await signIn();
    const res = await get('/console/epochs', cookie);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No tenant of the policy sets a linkability window');
  });

  it('lists expired epochs first, with how to destroy them, then destroyed, then live', () => {
    const row = (epoch: string, state: 'live' | 'expired' | 'destroyed', start: string) => ({
      tenant: 'acme-cpo',
      epoch,
      start,
      end: start,
      state,
      destroyedAt: state === 'destroyed' ? '2026-11-30T00:00:00.000Z' : null,
    });
    const page = epochsPage(session, [row('30d:700', 'live', '2027-07-01'), row('30d:600', 'destroyed', '2019-04-01'), row('30d:610', 'expired', '2020-02-01')]);
    const order = ['30d:610', '30d:600', '30d:700'].map((e) => page.indexOf(e));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(page).toContain('1 expired epoch(s) still hold their secret');
    expect(epochsPage(session, [row('30d:700', 'live', '2027-07-01')])).toContain('No epoch is waiting for destruction.');
  });
});

describe('escaping', () => {
  it('escapes markup and quotes in every rendered value', () => {
    expect(escape(`<script>"a" & 'b'</script>`)).toBe('&#60;script&#62;&#34;a&#34; &#38; &#39;b&#39;&#60;/script&#62;');
  });
});
