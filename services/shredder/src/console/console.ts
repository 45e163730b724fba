import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AmpsealError, buildSubjectRequest, isRequestId, splitIdentifierArg, type ErrorName, type SubjectRequest } from '@ampseal/core';
import type { AdminOperator } from '@ampseal/service-kit';
import { authenticate } from '../admin-api';
import type { AuditEntry, AuditLog } from '../audit-log';
import type { PlanReport } from '../erasure-plan';
import type { StatusIndex } from '../status-index';
import type { EpochRow } from '../epochs';
import { auditPage, CONSOLE, epochsPage, errorPage, lookupPage, newRequestPage, notFoundPage, planPage, signInPage, statusPage, statusPath, type RequestFields } from './pages';
import { formTokenMatches, type ConsoleSession, type SessionStore } from './session';
import { CONSOLE_CSS } from './style';

const MAX_FORM = 64 * 1024;
const AUDIT_PAGE_SIZE = 50;
const COOKIE = 'ampseal_console';

/**
 * On every console response: never stored by a browser or proxy (a plan page holds identifiers), never framed
 * (clickjacking of the confirm button), no referrer leaves, and only this origin's stylesheet and forms.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

export interface ConsoleDeps {
  readonly operators: readonly AdminOperator[];
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  readonly status: StatusIndex;
  /** The configured tenants (AMPSEAL_TENANTS): offered in a list; a free field when none are configured. */
  readonly tenants: readonly string[];
  /** The listener speaks TLS: the session cookie is then `Secure`. */
  readonly tls: boolean;
  /** The dry-run plan (keyring SPEC K43): the same assembly as `ampseal erasure plan`. */
  readonly plan: (tenant: string, identifiers: SubjectRequest['identifiers']) => Promise<PlanReport>;
  /** The admin API's submission: K16 checked at the door, signed, written to the requests topic. */
  readonly submit: (request: SubjectRequest) => Promise<void>;
  /** The stored token epochs of the tenants with a linkability window, with their state now (K48); none: no such tenant. */
  readonly epochs?: () => Promise<readonly EpochRow[]>;
  /**
   * A header naming the operator, set by an authenticating proxy in front (AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER, lower
   * case); the configuration allows it only on a loopback listener. Undefined: operators sign in with their token.
   */
  readonly trustedHeader?: string;
}

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    req.resume();
    return undefined;
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * A POST from this console's own pages, as the browser tells: Sec-Fetch-Site (sent by every current browser) must say
 * same-origin; without it, an Origin must be this origin. (Origin alone cannot be used: under `Referrer-Policy:
 * no-referrer` Chromium sends `Origin: null` on a form POST.) With the per-session form token this refuses cross-site
 * requests, and it also guards the sign-in form, which has no session yet (login CSRF).
 */
function sameOrigin(req: IncomingMessage, tls: boolean): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  return origin === undefined || origin === `${tls ? 'https' : 'http'}://${req.headers.host ?? ''}`;
}

const ROUTES: ReadonlySet<string> = new Set(['/', ...Object.values(CONSOLE)]);

/**
 * The route the audit trail names: a known path, the status page as `:id`, anything else as `(other)`, so a path
 * someone typed (which could hold anything) never reaches the log.
 */
function routeOf(path: string): string {
  if (ROUTES.has(path)) return path;
  return path.startsWith(`${CONSOLE.requests}/`) && !path.slice(CONSOLE.requests.length + 1).includes('/') ? `${CONSOLE.requests}/:id` : `${CONSOLE.root}/(other)`;
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function fieldsOf(form: URLSearchParams): RequestFields {
  return {
    tenant: (form.get('tenant') ?? '').trim(),
    action: form.get('action') ?? 'erase',
    reason: (form.get('reason') ?? '').trim(),
    requestId: (form.get('requestId') ?? '').trim(),
    withLinked: form.get('withLinked') === 'true',
  };
}

/** The identifier lines, split and checked; a problem names the line's position, never its value. */
function parseLines(lines: readonly string[]): { ok: true; value: Array<{ kind: string; value: string }> } | { ok: false; problem: string } {
  const out: Array<{ kind: string; value: string }> = [];
  for (const [i, line] of lines.entries()) {
    const split = splitIdentifierArg(line);
    if (!split.ok) return { ok: false, problem: `identifier line ${i + 1}: ${split.problem}` };
    out.push({ kind: split.value.kind, value: split.value.raw });
  }
  return { ok: true, value: out };
}

function build(fields: RequestFields, lines: readonly string[]): { ok: true; value: SubjectRequest } | { ok: false; problem: string } {
  if (lines.length === 0) return { ok: false, problem: 'list at least one identifier, one KIND:VALUE a line' };
  const ids = parseLines(lines);
  if (!ids.ok) return ids;
  const built = buildSubjectRequest({
    requestId: fields.requestId,
    tenant: fields.tenant,
    action: fields.action,
    identifiers: ids.value,
    reason: fields.reason,
    ...(fields.withLinked ? { withLinked: true } : {}),
  });
  // core's problems name a field or `identifiers[i]`, never a value: shown as they are.
  return built;
}

/**
 * The privacy console (issue 16): server-rendered pages on the admin listener under /console, for privacy staff who do
 * not use a terminal. Same operators as the API (their tokens sign in), same submission path (signed, K16 at the door),
 * same audit trail. Identifiers travel only in POST bodies, appear only on the plan page answered to a POST, and are
 * never logged nor put in a URL, an error or the audit trail (a count only).
 */
export function adminConsole(deps: ConsoleDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const remote = req.socket.remoteAddress;
    const audit = (entry: Omit<AuditEntry, 'at' | 'remote' | 'method' | 'route'>) => deps.audit.record({ remote, method: req.method, route: routeOf(path), ...entry });
    const html = (status: number, body: string, extra: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { ...CONSOLE_HEADERS, 'content-type': 'text/html; charset=utf-8', ...extra }).end(body);
      return status;
    };
    const redirect = (to: string, extra: Record<string, string | string[]> = {}) => {
      res.writeHead(303, { ...CONSOLE_HEADERS, location: to, ...extra }).end();
      return 303;
    };
    const cookie = (value: string, maxAgeS: number) =>
      `${COOKIE}=${value}; Path=${CONSOLE.root}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${deps.tls ? '; Secure' : ''}`;

    void (async () => {
      if (req.method === 'GET' && path === CONSOLE.style) {
        res.writeHead(200, { ...CONSOLE_HEADERS, 'content-type': 'text/css; charset=utf-8' }).end(CONSOLE_CSS);
        return;
      }
      const cookieValue = cookieOf(req);
      let session = deps.sessions.get(cookieValue);

      if (deps.trustedHeader !== undefined) {
        const named = req.headers[deps.trustedHeader];
        if (typeof named === 'string' && named.trim() !== '') {
          // The proxy authenticated someone: an operator of the token file by name, or nobody the console knows.
          const operator = deps.operators.find((o) => o.name === named.trim())?.name;
          if (operator === undefined) {
            deps.sessions.end(cookieValue);
            req.resume();
            return audit({ operator: undefined, status: html(403, signInPage({ error: 'CONSOLE_SIGN_IN_REQUIRED' })), step: 'proxy header names no operator' });
          }
          if (session?.operator !== operator) {
            deps.sessions.end(cookieValue);
            const created = deps.sessions.create(operator);
            session = created.session;
            req.resume();
            // Back to the page asked for (a GET) with the cookie set: its forms then carry this session's form token.
            const back = req.method === 'GET' && path !== CONSOLE.signIn ? `${url.pathname}${url.search}` : CONSOLE.newRequest;
            const maxAge = Math.floor((created.session.expiresAt - Date.now()) / 1000);
            return audit({ operator, status: redirect(back, { 'set-cookie': cookie(created.id, maxAge) }), step: 'sign-in (proxy header)' });
          }
        }
      }

      if (path === CONSOLE.signIn) {
        if (req.method === 'GET') {
          if (session) return redirect(CONSOLE.newRequest);
          return html(200, signInPage());
        }
        if (req.method !== 'POST') return html(405, signInPage());
        const form = sameOrigin(req, deps.tls) ? await readForm(req) : (req.resume(), undefined);
        if (!form) return audit({ operator: undefined, status: html(403, signInPage({ error: 'CONSOLE_FORM_REFUSED' })), step: 'sign-in' });
        const operator = authenticate(`Bearer ${form.get('token') ?? ''}`, deps.operators);
        if (operator === undefined) {
          // As the API's 401: the connection closes, so each guess costs a new connection (and TLS handshake).
          res.shouldKeepAlive = false;
          return audit({ operator: undefined, status: html(401, signInPage({ error: 'CONSOLE_SIGN_IN_REQUIRED' }), { connection: 'close' }), step: 'sign-in' });
        }
        deps.sessions.end(cookieValue);
        const created = deps.sessions.create(operator);
        const maxAge = Math.floor((created.session.expiresAt - Date.now()) / 1000);
        return audit({ operator, status: redirect(CONSOLE.newRequest, { 'set-cookie': cookie(created.id, maxAge) }), step: 'sign-in' });
      }

      // Everything else needs a session: without one, the sign-in page and nothing else.
      if (!session) {
        req.resume();
        return audit({ operator: undefined, status: redirect(CONSOLE.signIn), step: 'sign-in required' });
      }
      const operator = session.operator;
      const view = { operator, formToken: session.formToken };

      if (req.method === 'POST') {
        const form = sameOrigin(req, deps.tls) ? await readForm(req) : (req.resume(), undefined);
        if (!form || !formTokenMatches(session, form.get('formToken'))) {
          return audit({ operator, status: html(403, errorPage(403, 'CONSOLE_FORM_REFUSED', view)), step: 'form refused' });
        }
        return post(path, form, session, view);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        req.resume();
        return html(405, errorPage(405, 'CONSOLE_BAD_FORM', view, 'this page answers GET only'));
      }
      if (path === CONSOLE.root || path === '/') return redirect(CONSOLE.newRequest);
      if (path === CONSOLE.newRequest) {
        return html(200, newRequestPage({ session: view, tenants: deps.tenants, values: { tenant: deps.tenants[0] ?? '', action: 'erase', reason: '', requestId: randomUUID(), withLinked: false } }));
      }
      if (path === CONSOLE.requests) {
        const id = url.searchParams.get('id')?.trim();
        if (id === undefined || id === '') return html(200, lookupPage(view));
        if (!isRequestId(id)) return html(400, errorPage(400, 'CONSOLE_BAD_FORM', view, 'a request id is 1-128 of A-Z a-z 0-9 . _ : -'));
        return redirect(statusPath(id));
      }
      if (path.startsWith(`${CONSOLE.requests}/`)) {
        const requestId = decoded(path.slice(CONSOLE.requests.length + 1));
        if (requestId === undefined || !isRequestId(requestId)) return html(404, notFoundPage(view));
        const status = deps.status.get(requestId);
        return audit({ operator, requestId, status: html(status ? 200 : 404, statusPage({ session: view, requestId, status })), step: 'status' });
      }
      if (path === CONSOLE.audit) {
        const page = Math.max(1, Math.min(1_000_000, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1));
        const { entries, total } = deps.audit.page((page - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE);
        return html(200, auditPage({ session: view, entries, page, pageSize: AUDIT_PAGE_SIZE, total }));
      }
      if (path === CONSOLE.epochs) return html(200, epochsPage(view, deps.epochs ? await deps.epochs() : undefined));
      return html(404, notFoundPage(view));
    })().catch(() => {
      // Never the error's message on the page or in the log: it could come from a dependency that quoted its input.
      if (!res.headersSent) html(500, errorPage(500, 'INTERNAL'));
    });

    async function post(path: string, form: URLSearchParams, session: ConsoleSession, view: { operator: string; formToken: string }): Promise<number | void> {
      const operator = session.operator;
      if (path === CONSOLE.signOut) {
        deps.sessions.end(cookieOf(req));
        return audit({ operator, status: redirect(CONSOLE.signIn, { 'set-cookie': cookie('', 0) }), step: 'sign-out' });
      }
      if (path === CONSOLE.plan || path === CONSOLE.requests) {
        const fields = fieldsOf(form);
        const planning = path === CONSOLE.plan;
        const lines = planning
          ? (form.get('identifiers') ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
          : form.getAll('identifier');
        const step = planning ? 'plan' : 'submit';
        const refuse = (status: number, name: ErrorName, detail?: string) =>
          audit({ operator, status: html(status, newRequestPage({ session: view, tenants: deps.tenants, values: fields, error: { name, ...(detail ? { detail } : {}) } })), step, subjects: lines.length });
        const built = build(fields, lines);
        if (!built.ok) return refuse(400, 'CONSOLE_BAD_FORM', `${built.problem}. The identifiers are not shown again: paste them again`);
        const request = built.value;
        const about = { requestId: request.requestId, tenant: request.tenant, action: request.action, subjects: request.identifiers.length };
        try {
          if (planning) {
            const plan = await deps.plan(request.tenant, request.identifiers);
            return audit({ operator, ...about, status: html(200, planPage({ session: view, plan, fields, lines })), step });
          }
          await deps.submit(request);
          deps.status.pending(request.requestId, request.requestedAt);
          return audit({ operator, ...about, status: redirect(statusPath(request.requestId)), step });
        } catch (err) {
          if (err instanceof AmpsealError && err.code === 'AMPSEAL_ERR_REQUEST_ID_REUSED') return refuse(409, 'REQUEST_ID_REUSED', 'choose another request id');
          // A dependency that did not answer (retriable): try again later. Anything else is ours: 500, never its message.
          const retriable = err instanceof AmpsealError && err.retriable;
          const name: ErrorName = retriable ? (err.code.slice('AMPSEAL_ERR_'.length) as ErrorName) : 'INTERNAL';
          return audit({ operator, ...about, status: html(retriable ? 503 : 500, errorPage(503, name, view, 'nothing was submitted; try again later')), step, err: { name: (err as Error).name } });
        }
      }
      return html(404, notFoundPage(view));
    }
  };
}
