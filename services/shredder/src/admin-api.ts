import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AmpsealError, buildSubjectRequest, type SubjectRequest } from '@ampseal/core';
import type { AdminOperator } from '@ampseal/service-kit';
import type { AuditLog } from './audit-log';
import type { PlanReport } from './erasure-plan';
import type { StatusIndex } from './status-index';

const MAX_BODY = 64 * 1024;
export const ADMIN_PREFIX = '/admin/v1/requests';
/** The dry-run plan of an erasure (keyring SPEC K43): what `ampseal erasure plan --format json` prints. */
export const PLAN_PATH = '/admin/v1/plans';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Shorter tokens are refused before any comparison: the file holds hashes, so their length is checked here. */
const MIN_TOKEN_LENGTH = 32;

/**
 * The operator whose token the bearer header carries, or undefined. The given token is hashed and compared with
 * every operator's hash in constant time, all of them each time, so response timing tells neither a token's prefix
 * nor which operator's line matched. Plain SHA-256 (no slow KDF): tokens are random secrets of at least 32
 * characters, which no offline guessing reaches, and a slow hash would let any unauthenticated caller spend the
 * shredder's CPU per attempt.
 */
export function authenticate(header: string | undefined, operators: readonly AdminOperator[]): string | undefined {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const hash = digest(given);
  let found: string | undefined;
  for (const operator of operators) {
    if (timingSafeEqual(hash, operator.tokenSha256) && found === undefined) found = operator.name;
  }
  return given.length >= MIN_TOKEN_LENGTH ? found : undefined;
}

/**
 * 401, and the connection closes after it: a client guessing tokens pays a new connection (and TLS handshake) per
 * guess, and counts against the listener's connection limit while it does.
 */
function refuse(req: IncomingMessage, res: ServerResponse): number {
  res.shouldKeepAlive = false;
  res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close', 'www-authenticate': 'Bearer' }).end('{"error":"unauthorized"}');
  req.resume();
  return 401;
}

function send(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  return status;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A request body as JSON, or how it is refused: over the size limit (413) or not JSON (400). */
async function readJson(req: IncomingMessage): Promise<{ json: unknown } | { refused: { status: 400 | 413; error: string } }> {
  const text = await readBody(req);
  if (text === undefined) return { refused: { status: 413, error: 'body_too_large' } };
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { refused: { status: 400, error: 'bad_json' } };
  }
}

/**
 * The shredder's admin API for ops tools: submit a data-subject request, read its status. Every call is
 * authenticated and audited (operator, remote address, method, route, outcome, request id, tenant, counts: never an
 * identifier). Served by the admin listener (admin-server.ts), never on the ops port.
 */
export function adminApi(deps: {
  /** Named operators (AMPSEAL_ADMIN_TOKENS_FILE): the audit log says who. */
  readonly operators: readonly AdminOperator[];
  readonly submit: (request: SubjectRequest) => Promise<void>;
  readonly status: StatusIndex;
  /** Where every call is recorded (the log, and the console's audit page). */
  readonly audit: AuditLog;
  /** The dry-run plan, as the console's plan step and the CLI show it; nothing is written. */
  readonly plan?: (tenant: string, identifiers: SubjectRequest['identifiers']) => Promise<PlanReport>;
}): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const operator = authenticate(req.headers.authorization, deps.operators);
    const remote = req.socket.remoteAddress;
    const log = (status: number, extra: { requestId?: string; tenant?: string; action?: string; subjects?: number; err?: { name: string } } = {}) =>
      deps.audit.record({ operator, remote, method: req.method, route: path.startsWith(`${ADMIN_PREFIX}/`) ? `${ADMIN_PREFIX}/:id` : path, status, ...extra });

    if (operator === undefined) {
      log(refuse(req, res));
      return;
    }
    void (async () => {
      if (req.method === 'POST' && path === PLAN_PATH && deps.plan) {
        const body = await readJson(req);
        if ('refused' in body) return log(send(res, body.refused.status, { error: body.refused.error }));
        const fields = typeof body.json === 'object' && body.json !== null ? (body.json as Record<string, unknown>) : {};
        // Checked and normalized by the one request reader, as the CLI's plan does.
        const built = buildSubjectRequest({ requestId: 'plan', tenant: fields.tenant, action: 'erase', identifiers: fields.identifiers, reason: 'plan' });
        if (!built.ok) return log(send(res, 400, { error: 'bad_request', problem: built.problem }));
        const plan = await deps.plan(built.value.tenant, built.value.identifiers);
        return log(send(res, 200, plan), { tenant: built.value.tenant, subjects: built.value.identifiers.length });
      }
      if (req.method === 'POST' && path === ADMIN_PREFIX) {
        const body = await readJson(req);
        if ('refused' in body) return log(send(res, body.refused.status, { error: body.refused.error }));
        const withId = typeof body.json === 'object' && body.json !== null ? { requestId: randomUUID(), ...(body.json as object) } : body.json;
        const built = buildSubjectRequest(withId);
        if (!built.ok) return log(send(res, 400, { error: 'bad_request', problem: built.problem }));
        const request = built.value;
        await deps.submit(request);
        deps.status.pending(request.requestId, request.requestedAt);
        return log(send(res, 202, { requestId: request.requestId, status: 'pending' }), {
          requestId: request.requestId,
          tenant: request.tenant,
          action: request.action,
          subjects: request.identifiers.length,
        });
      }
      if (req.method === 'GET' && path.startsWith(`${ADMIN_PREFIX}/`)) {
        const requestId = decodeURIComponent(path.slice(ADMIN_PREFIX.length + 1));
        const status = deps.status.get(requestId);
        if (!status) return log(send(res, 404, { error: 'unknown_request' }), { requestId: requestId.slice(0, 128) });
        return log(send(res, 200, status), { requestId });
      }
      return log(send(res, 404, { error: 'not_found' }));
    })().catch((err: unknown) => {
      // The request id already erased other subjects (K16): a conflict, nothing was accepted.
      if (err instanceof AmpsealError && err.code === 'AMPSEAL_ERR_REQUEST_ID_REUSED') {
        return log(send(res, 409, { error: err.reason, problem: err.message }));
      }
      // A dependency (Kafka) failed: nothing was accepted.
      log(send(res, 503, { error: 'unavailable' }), { err: { name: (err as Error).name } });
    });
  };
}
