import { ERRORS, IDENTIFIER_KINDS, SUBJECT_ACTIONS, type ErrorName } from '@ampseal/core';
import type { AuditEntry } from '../audit-log';
import type { EpochRow } from '../epochs';
import type { PlanReport } from '../erasure-plan';
import type { RequestStatus } from '../status-index';

/**
 * The console's pages, rendered on the server as whole HTML documents: no script at all (a pending request's page
 * reloads itself with a meta refresh), one stylesheet from the same origin. Every value is escaped here; identifiers
 * appear on one page only, the plan answered to the plan form's POST (and in its confirm form).
 */

export function escape(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The console's paths: one place, used by the router and every link. */
export const CONSOLE = Object.freeze({
  root: '/console',
  signIn: '/console/sign-in',
  signOut: '/console/sign-out',
  style: '/console/style.css',
  newRequest: '/console/requests/new',
  plan: '/console/plan',
  requests: '/console/requests',
  audit: '/console/audit',
  epochs: '/console/epochs',
});

export function statusPath(requestId: string): string {
  return `${CONSOLE.requests}/${encodeURIComponent(requestId)}`;
}

type Nav = 'new' | 'status' | 'audit' | 'epochs';

interface Frame {
  readonly title: string;
  /** The signed-in operator and the form token for the sign-out form; absent on the sign-in page. */
  readonly session?: { readonly operator: string; readonly formToken: string };
  readonly nav?: Nav;
  /** Seconds: reload the page (a pending request's status). */
  readonly refresh?: number;
}

function layout(frame: Frame, body: string): string {
  const link = (nav: Nav, href: string, text: string) => `<li><a href="${href}"${frame.nav === nav ? ' aria-current="page"' : ''}>${text}</a></li>`;
  const header = frame.session
    ? `<header><p class="brand">ampseal privacy console</p>
<nav aria-label="Console"><ul>${link('new', CONSOLE.newRequest, 'New request')}${link('status', CONSOLE.requests, 'Request status')}${link('audit', CONSOLE.audit, 'Audit log')}${link('epochs', CONSOLE.epochs, 'Token epochs')}</ul></nav>
<div class="who"><span>Signed in as <strong>${escape(frame.session.operator)}</strong></span>
<form method="post" action="${CONSOLE.signOut}">${formToken(frame.session.formToken)}<button type="submit" class="secondary">Sign out</button></form></div></header>`
    : `<header><p class="brand">ampseal privacy console</p></header>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${frame.refresh ? `<meta http-equiv="refresh" content="${frame.refresh}">\n` : ''}<title>${escape(frame.title)} · ampseal privacy console</title>
<link rel="stylesheet" href="${CONSOLE.style}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main">
<h1>${escape(frame.title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function formToken(token: string): string {
  return `<input type="hidden" name="formToken" value="${escape(token)}">`;
}

/** An error from the one table: its code and fixed message, plus a detail that never holds a value typed in. */
export function errorBox(name: ErrorName, detail?: string): string {
  return `<div class="error" role="alert"><p><strong>${escape(ERRORS[name].message)}</strong>${detail ? `: ${escape(detail)}` : ''}</p><p><code>AMPSEAL_ERR_${name}</code></p></div>`;
}

export function signInPage(options: { error?: ErrorName } = {}): string {
  return layout(
    { title: 'Sign in' },
    `${options.error ? errorBox(options.error) : '<p>Sign in with your operator token (the one whose hash is in the admin token file). Nothing else of this console is served before.</p>'}
<form method="post" action="${CONSOLE.signIn}">
<label for="token">Operator token</label>
<input type="password" id="token" name="token" required autocomplete="off" spellcheck="false" autofocus>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface RequestFields {
  readonly tenant: string;
  readonly action: string;
  readonly reason: string;
  readonly requestId: string;
  readonly withLinked: boolean;
}

/**
 * The new-request form. After a refused plan the tenant, action, reason and request id come back, the identifiers
 * never do: they are not echoed by an error page (the operator pastes them again).
 */
export function newRequestPage(options: {
  readonly session: Frame['session'];
  readonly tenants: readonly string[];
  readonly values: RequestFields;
  readonly error?: { readonly name: ErrorName; readonly detail?: string };
}): string {
  const v = options.values;
  const tenant = options.tenants.length > 0
    ? `<select id="tenant" name="tenant" required>${options.tenants.map((t) => `<option${t === v.tenant ? ' selected' : ''}>${escape(t)}</option>`).join('')}</select>`
    : `<input type="text" id="tenant" name="tenant" required value="${escape(v.tenant)}" autocomplete="off">`;
  const actions = SUBJECT_ACTIONS.map(
    (a) => `<label><input type="radio" name="action" value="${a}"${a === v.action ? ' checked' : ''}> ${a}</label>`,
  ).join('');
  return layout(
    { title: 'New request', session: options.session, nav: 'new' },
    `${options.error ? errorBox(options.error.name, options.error.detail) : ''}
<p>One person, one request: list every identifier of the person. The next page shows the dry-run plan; nothing is changed before you confirm there.</p>
<form method="post" action="${CONSOLE.plan}">
${formToken(options.session!.formToken)}
<label for="tenant">Tenant</label>
${tenant}
<fieldset><legend>Action</legend>${actions}</fieldset>
<label for="identifiers">Identifiers <span class="hint" id="identifiers-hint">One KIND:VALUE a line, kinds: ${IDENTIFIER_KINDS.join(', ')}</span></label>
<textarea id="identifiers" name="identifiers" required autocomplete="off" spellcheck="false" aria-describedby="identifiers-hint"></textarea>
<label class="check"><input type="checkbox" name="withLinked" value="true"${v.withLinked ? ' checked' : ''}> Also erase the linked subjects: whatever was seen together with these (erase only)</label>
<label for="reason">Reason <span class="hint">The ticket or legal ground, kept with the request (no personal data)</span></label>
<input type="text" id="reason" name="reason" required maxlength="1000" value="${escape(v.reason)}" autocomplete="off">
<label for="requestId">Request id <span class="hint">Your ticket number, or keep the one generated (letters, digits, . _ : -)</span></label>
<input type="text" id="requestId" name="requestId" required maxlength="128" value="${escape(v.requestId)}" autocomplete="off" spellcheck="false">
<button type="submit">Show the plan</button>
</form>`,
  );
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function days(ms: number | null): string {
  if (ms === null) return '?';
  if (ms < 0) return 'unlimited';
  const d = ms / 86_400_000;
  return Number.isInteger(d) ? `${d} d` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** The dry-run plan (the CLI's `ampseal erasure plan`, as HTML) and the confirm form. */
export function planPage(options: {
  readonly session: NonNullable<Frame['session']>;
  readonly plan: PlanReport;
  readonly fields: RequestFields;
  /** The lines as typed: posted again by the confirm form, never stored on the server. */
  readonly lines: readonly string[];
}): string {
  const { plan, fields } = options;
  const identifiers = plan.identifiers
    .map((id, i) => {
      const linked = id.linked.length === 0
        ? 'nothing recorded'
        : `<ul>${id.linked.map((l) => `<li>${escape(l.kind)} <code>${escape(l.ref)}</code>, token <code>${escape(l.token ?? 'none')}</code>, last seen ${escape(l.lastSeen)}${l.sameAs ? ` (= ${escape(l.sameAs)}, listed too)` : ''}</li>`).join('')}</ul>`;
      return `<tr><td>#${i + 1}</td><td><code>${escape(id.typed)}</code></td><td><code>${escape(id.ref)}</code></td><td><code>${escape(id.token ?? '(no live token)')}</code></td><td>${id.generation}</td><td>${yesNo(id.restricted)}</td><td>${escape(id.erasure)}</td><td>${linked}</td></tr>`;
    })
    .join('\n');
  const copies = plan.clearCopies
    .map(
      (c) =>
        `<tr><td><code>${escape(c.topic)}</code></td><td>${escape(c.role)}</td><td>${c.exists ? days(c.retentionMs) : 'missing'}</td><td>${c.exists ? days(c.segmentMs) : '-'}</td><td>${c.exists ? yesNo(c.holdsRecords) : '-'}</td><td>${escape(c.lastCopyAgesOutBy ?? (c.exists && !c.holdsRecords ? 'no copy (empty)' : 'never / unknown'))}</td></tr>`,
    )
    .join('\n');
  const warnings = plan.warnings.length > 0 ? `<div class="warning" role="note"><h2>Warnings</h2><ul>${plan.warnings.map((w) => `<li>${escape(w)}</li>`).join('')}</ul></div>` : '';
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escape(value)}">`;
  return layout(
    { title: `Plan: ${fields.action} for tenant ${fields.tenant}`, session: options.session, nav: 'new' },
    `<p class="notice">Dry run at ${escape(plan.generatedAt)}: nothing has changed yet. Check the plan, then confirm below.</p>
<dl><dt>Request id</dt><dd><code>${escape(fields.requestId)}</code></dd><dt>Action</dt><dd>${escape(fields.action)}${fields.withLinked ? ', with the linked identifiers' : ''}</dd><dt>Reason</dt><dd>${escape(fields.reason)}</dd></dl>
<h2>Identifiers</h2>
<p class="hint">Linked identifiers are known by blind index only (their reference), never in clear.</p>
<table>
<thead><tr><th scope="col">#</th><th scope="col">identifier</th><th scope="col">ref</th><th scope="col">token</th><th scope="col">generation</th><th scope="col">restricted</th><th scope="col">erasure</th><th scope="col">seen together with</th></tr></thead>
<tbody>
${identifiers}
</tbody></table>
<p>An erasure with the linked identifiers would erase ${plan.withLinked.total} subject(s): ${plan.withLinked.typed} listed and ${plan.withLinked.linked} linked.
Tombstones and retired tokens of an erasure now are kept until ${escape(plan.tombstonesKeptUntil)} (raw retention plus the maximum backup age).</p>
<h2>Clear copies may still sit in</h2>
<table><thead><tr><th scope="col">topic</th><th scope="col">holds</th><th scope="col">retention</th><th scope="col">segment roll</th><th scope="col">records</th><th scope="col">last copy ages out by</th></tr></thead>
<tbody>
${copies}
</tbody></table>
${warnings}
<form method="post" action="${CONSOLE.requests}">
${formToken(options.session.formToken)}
${hidden('tenant', fields.tenant)}${hidden('action', fields.action)}${hidden('reason', fields.reason)}${hidden('requestId', fields.requestId)}${fields.withLinked ? hidden('withLinked', 'true') : ''}
${options.lines.map((l) => hidden('identifier', l)).join('')}
<div class="actions"><button type="submit" class="danger">Confirm: ${escape(fields.action)} now</button> <a href="${CONSOLE.newRequest}">Cancel</a></div>
</form>`,
  );
}

function receiptRows(s: RequestStatus): string {
  const rows: Array<[string, unknown]> = [['Request id', s.requestId]];
  if (s.status === 'pending') {
    rows.push(['Requested at', s.requestedAt]);
  } else {
    rows.push(['Tenant', s.tenant], ['Action', s.action], ['Requested at', s.requestedAt ?? '-'], ['Completed at', s.completedAt], ['Identifiers', s.subjects]);
    if (s.status === 'failed') rows.push(['Reason', s.error ?? 'error']);
    if (s.action === 'erase') {
      rows.push(['Erased', s.erased ?? 0], ['Already erased', s.alreadyErased ?? 0], ['Tokens retired', s.tokenCount]);
      if (s.linked !== undefined) rows.push(['Linked identifiers erased', s.linked]);
      if (s.erasedAt) rows.push(['Erasure time', s.erasedAt]);
      if (s.tokensNotComputed) rows.push(['Keys destroyed without their tokens', s.tokensNotComputed]);
    } else if (s.status === 'done') {
      rows.push(['Flag changed on', s.changed ?? 0], ['Tokens evicted', s.tokenCount]);
    }
  }
  return `<dl>${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>`;
}

export function statusPage(options: { readonly session: NonNullable<Frame['session']>; readonly requestId: string; readonly status: RequestStatus | undefined }): string {
  const s = options.status;
  if (!s) {
    return layout(
      { title: 'Request status', session: options.session, nav: 'status' },
      `<div class="error" role="alert"><p>No request with this id is known to this shredder (accepted here, or a receipt read since it started).</p></div>${lookupForm()}`,
    );
  }
  const roaming = s.status !== 'pending' && s.roaming
    ? '<p class="warning">Roaming CDRs of this person still go to the token issuer only (its billing data): notify the issuer (GDPR Art. 19).</p>'
    : '';
  return layout(
    { title: `Request ${s.requestId}`, session: options.session, nav: 'status', ...(s.status === 'pending' ? { refresh: 2 } : {}) },
    `<p role="status">Status: <span class="status-${s.status}">${s.status}</span>${s.status === 'pending' ? ' (this page reloads every 2 s until the receipt arrives; <a href="">reload now</a>)' : ''}</p>
${s.status === 'pending' ? '' : '<h2>Receipt</h2>'}
${receiptRows(s)}
${roaming}
${lookupForm()}`,
  );
}

function lookupForm(): string {
  return `<h2>Look up a request</h2>
<form method="get" action="${CONSOLE.requests}">
<label for="id">Request id</label>
<input type="text" id="id" name="id" required maxlength="128" autocomplete="off" spellcheck="false">
<button type="submit">Show status</button>
</form>`;
}

export function lookupPage(session: NonNullable<Frame['session']>): string {
  return layout({ title: 'Request status', session, nav: 'status' }, lookupForm());
}

export function auditPage(options: {
  readonly session: NonNullable<Frame['session']>;
  readonly entries: readonly AuditEntry[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
}): string {
  const { page, pageSize, total } = options;
  const rows = options.entries
    .map(
      (e) =>
        `<tr><td class="mono">${escape(e.at)}</td><td>${escape(e.operator ?? '(not signed in)')}</td><td class="mono">${escape(e.remote ?? '-')}</td><td>${escape(e.method ?? '-')} <code>${escape(e.route)}</code>${e.step ? ` (${escape(e.step)})` : ''}</td><td>${e.status}</td><td><code>${escape(e.requestId ?? '')}</code></td><td>${escape(e.tenant ?? '')}</td><td>${escape(e.action ?? '')}</td><td>${e.subjects ?? ''}</td></tr>`,
    )
    .join('\n');
  const last = Math.max(1, Math.ceil(total / pageSize));
  const pager = `<nav aria-label="Audit pages"><p>Page ${page} of ${last} (${total} entries)${page > 1 ? ` · <a href="${CONSOLE.audit}?page=${page - 1}" rel="prev">Newer</a>` : ''}${page < last ? ` · <a href="${CONSOLE.audit}?page=${page + 1}" rel="next">Older</a>` : ''}</p></nav>`;
  return layout(
    { title: 'Audit log', session: options.session, nav: 'audit' },
    `<p>Every call to the admin API and this console that this shredder instance served since it started, newest first. The complete trail is in the logs (component <code>audit</code>, event <code>admin.call</code>).</p>
${pager}
<table><thead><tr><th scope="col">time (UTC)</th><th scope="col">operator</th><th scope="col">from</th><th scope="col">call</th><th scope="col">status</th><th scope="col">request id</th><th scope="col">tenant</th><th scope="col">action</th><th scope="col">identifiers</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${pager}`,
  );
}

/**
 * Token epochs (keyring SPEC K44–K50) of the tenants whose policy sets a linkability window: the expired ones first
 * (what the next destruction takes), then the destroyed, then the live. Epoch names and dates only: nothing here is
 * personal data. `rows` undefined: no tenant of the policy has a window.
 */
export function epochsPage(session: NonNullable<Frame['session']>, rows: readonly EpochRow[] | undefined): string {
  if (rows === undefined) {
    return layout({ title: 'Token epochs', session, nav: 'epochs' }, '<p>No tenant of the policy sets a linkability window (<code>tenants.&lt;tenant&gt;.linkability</code>): tokens do not change with time, and there are no epochs.</p>');
  }
  const order = { expired: 0, destroyed: 1, live: 2 } as const;
  const sorted = [...rows].sort((a, b) => order[a.state] - order[b.state] || a.tenant.localeCompare(b.tenant) || a.start.localeCompare(b.start));
  const expired = rows.filter((r) => r.state === 'expired').length;
  const body = sorted
    .map(
      (r) =>
        `<tr><td>${escape(r.tenant)}</td><td><code>${escape(r.epoch)}</code></td><td class="mono">${escape(r.start)}</td><td class="mono">${escape(r.end)}</td><td>${r.state === 'expired' ? '<strong>expired</strong>' : r.state}</td><td class="mono">${escape(r.destroyedAt ?? '')}</td></tr>`,
    )
    .join('\n');
  return layout(
    { title: 'Token epochs', session, nav: 'epochs' },
    `<p>${expired === 0 ? 'No epoch is waiting for destruction.' : `${expired} expired epoch(s) still hold their secret: the shredder destroys them on its schedule (<code>AMPSEAL_EPOCH_DESTROY_INTERVAL_MS</code>), or run <code>ampseal epochs destroy-expired</code>. Records of an expired epoch already show <code>EXPIRED</code>.`}</p>
<table><thead><tr><th scope="col">tenant</th><th scope="col">epoch</th><th scope="col">from (UTC)</th><th scope="col">until (UTC)</th><th scope="col">state</th><th scope="col">destroyed at</th></tr></thead>
<tbody>
${body}
</tbody></table>`,
  );
}

/** A page or request id this console does not have (the path is not repeated: it could hold anything). */
export function notFoundPage(session: NonNullable<Frame['session']>): string {
  return layout({ title: 'Not found', session }, `<p>This console has no such page.</p><p><a href="${CONSOLE.newRequest}">New request</a> · <a href="${CONSOLE.requests}">Look up a request</a></p>`);
}

export function errorPage(status: number, name: ErrorName, session?: NonNullable<Frame['session']>, detail?: string): string {
  return layout({ title: status >= 500 ? 'Not done' : 'Refused', ...(session ? { session } : {}) }, `${errorBox(name, detail)}<p><a href="${CONSOLE.newRequest}">Back to the console</a></p>`);
}
