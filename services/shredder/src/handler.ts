import { AmpsealError, buildSubjectRequest, isRequestId, isTenant, REQUEST_SIGNATURE_HEADER, ROAMING_AFTER_SUBJECT_REQUEST, verifyRequest, type ReasonCode, type SubjectReceipt, type SubjectRequest } from '@ampseal/core';
import type { ConsumedRecord, OutputRecord, StreamHandler } from '@ampseal/kafka';
import type { KeyRing } from '@ampseal/keyring';
import { channel } from 'node:diagnostics_channel';
import { SUBJECT_REQUEST_CHANNEL, type Logger, type SubjectRequestEvent, type Topics } from '@ampseal/service-kit';

const events = channel(SUBJECT_REQUEST_CHANNEL);

/**
 * Requests → receipts, inside the stream's transaction (exactly once): the key-ring work is idempotent per
 * request id, so a chunk replayed after a crash returns the same receipt. Audit lines carry ids and counts,
 * never identifiers, tokens or the free-text reason.
 */
export function createRequestHandler(deps: {
  /** Started before the handler is built. */
  readonly keyring: KeyRing;
  readonly topics: Topics;
  readonly logger: Logger;
  /**
   * Request signatures (core request-signature.ts): `required` answers an unsigned or forged record with a failed
   * receipt (`bad_signature`) and executes nothing; `off` executes it and logs what `required` would refuse.
   * Without keys nothing is checked.
   */
  readonly signatures?: { readonly keys: readonly Buffer[]; readonly mode: 'required' | 'off' };
  readonly clock?: () => number;
}): StreamHandler {
  const clock = deps.clock ?? Date.now;
  const audit = deps.logger.child({ component: 'audit' });
  const signatures = deps.signatures?.keys.length ? deps.signatures : undefined;
  const answered = (event: SubjectRequestEvent) => {
    if (events.hasSubscribers) events.publish(event);
  };
  const ageOf = (requestedAt: string) => (clock() - Date.parse(requestedAt)) / 1000;

  /**
   * The failed receipt of a record that is not a request the shredder may act on (malformed, or not signed): keyed
   * by the record key when it is a request id (so the submitter finds it), by the record's position otherwise.
   */
  const refused = (record: ConsumedRecord, raw: unknown, error: ReasonCode): OutputRecord => {
    const key = record.key?.toString('utf8') ?? '';
    const requestId = isRequestId(key) ? key : `${record.topic}:${record.partition}:${record.offset}`;
    // Only a well-formed tenant name is echoed: receipts are read more widely than requests, and the field is unchecked.
    const given = (raw as { tenant?: unknown } | undefined)?.tenant;
    const tenant = typeof given === 'string' && isTenant(given) ? given : '';
    const receipt: SubjectReceipt = { version: 1, requestId, tenant, action: 'erase', status: 'failed', error, completedAt: new Date(clock()).toISOString(), subjects: 0 };
    return { topic: deps.topics.erasureEvents, key: requestId, value: JSON.stringify(receipt) };
  };

  const execute = async (request: SubjectRequest): Promise<{ receipt: SubjectReceipt; journal: OutputRecord[] }> => {
    const { keyring } = deps;
    const now = clock();
    const common = {
      version: 1 as const,
      requestId: request.requestId,
      tenant: request.tenant,
      action: request.action,
      status: 'done' as const,
      requestedAt: request.requestedAt,
      subjects: request.identifiers.length,
    };
    // Unrestrict lifts a flag; erase and restrict say that roaming delivery to the token issuer continues.
    const roaming = request.action === 'unrestrict' ? {} : { roaming: ROAMING_AFTER_SUBJECT_REQUEST };
    if (request.action === 'erase') {
      const result = await keyring.erase(request.tenant, request.identifiers, {
        requestId: request.requestId,
        erasedAt: now,
        ...(request.withLinked ? { withLinked: true } : {}),
      });
      const tombstones = result.tombstones ?? [];
      // A replayed request returns the stored result: its receipt keeps the original erasure time.
      const erasedAt = tombstones.length > 0 ? Math.max(...tombstones.map((t) => t.erasedAt)) : now;
      const journal = tombstones.map((t) => ({
        topic: deps.topics.tombstones,
        // One journal key per (subject, request): compaction never lets an older erasure replace a newer one (SPEC K30).
        key: `${t.tenant}:${t.blindIndex}:${t.requestId}`,
        value: JSON.stringify(t),
      }));
      return {
        receipt: {
          ...common,
          ...roaming,
          completedAt: new Date(now).toISOString(),
          erasedAt: new Date(erasedAt).toISOString(),
          erased: result.erased,
          alreadyErased: result.alreadyErased,
          retiredTokens: result.retiredTokens,
          ...(result.tokensNotComputed ? { tokensNotComputed: result.tokensNotComputed } : {}),
          ...(result.linked !== undefined ? { linked: result.linked } : {}),
        },
        journal,
      };
    }
    const states = await keyring.currentTokens(request.tenant, request.identifiers);
    // keyring SPEC K45, K52: analytics holds a tenant's epoch tokens, the instances' caches its subject tokens: both.
    const byEpoch = await keyring.tokensByEpoch(request.tenant, request.identifiers);
    const changed = await keyring.restrict(request.tenant, request.identifiers, request.action === 'restrict');
    return {
      receipt: {
        ...common,
        ...roaming,
        completedAt: new Date(now).toISOString(),
        changed,
        affectedTokens: [...new Set([...states.flatMap((s) => (s.token ? [s.token] : [])), ...byEpoch.flatMap((s) => s.tokens.map((t) => t.token))])],
      },
      journal: [],
    };
  };

  return async (records: readonly ConsumedRecord[]): Promise<OutputRecord[]> => {
    const outputs: OutputRecord[] = [];
    for (const record of records) {
      let raw: unknown;
      try {
        raw = JSON.parse(record.value?.toString('utf8') ?? '');
      } catch {
        raw = undefined;
      }
      if (signatures) {
        const check = verifyRequest(signatures.keys, record.value, record.headers?.[REQUEST_SIGNATURE_HEADER]);
        if (!check.ok) {
          const at = { topic: record.topic, partition: record.partition, offset: record.offset };
          if (signatures.mode === 'required') {
            const out = refused(record, raw, 'bad_signature');
            audit.warn({ event: 'subject_request.failed', requestId: out.key, reason: 'bad_signature', signature: check.problem, ...at }, 'request refused: not signed by the admin API or the CLI');
            outputs.push(out);
            answered({ action: 'erase', status: 'failed', reason: 'bad_signature' });
            continue;
          }
          audit.warn({ event: 'subject_request.unverified', signature: check.problem, ...at }, 'request executed without a valid signature (AMPSEAL_REQUEST_SIGNATURES=off)');
        }
      }
      const built = buildSubjectRequest(raw);
      if (!built.ok) {
        const out = refused(record, raw, 'bad_request');
        audit.warn({ event: 'subject_request.failed', requestId: out.key, problem: built.problem }, 'request refused');
        outputs.push(out);
        answered({ action: 'erase', status: 'failed', reason: 'bad_request' });
        continue;
      }
      let executed: Awaited<ReturnType<typeof execute>>;
      try {
        executed = await execute(built.value);
      } catch (err) {
        // A request the key ring refuses for good (the tenant's root key refused, a corrupt stored key) is answered
        // with a failed receipt naming the reason, and the requests behind it go on; a retriable failure (Redis or
        // KMS down) fails the chunk, which is retried as a whole.
        if (!(err instanceof AmpsealError) || err.retriable) throw err;
        const { requestId, tenant, action } = built.value;
        const receipt: SubjectReceipt = {
          version: 1,
          requestId,
          tenant,
          action,
          status: 'failed',
          error: err.reason,
          requestedAt: built.value.requestedAt,
          completedAt: new Date(clock()).toISOString(),
          subjects: built.value.identifiers.length,
        };
        audit.warn({ event: 'subject_request.failed', requestId, tenant, reason: err.reason }, 'request failed');
        outputs.push({ topic: deps.topics.erasureEvents, key: requestId, value: JSON.stringify(receipt) });
        answered({ action, status: 'failed', reason: err.reason, ageSeconds: ageOf(built.value.requestedAt) });
        continue;
      }
      const { receipt, journal } = executed;
      outputs.push(...journal);
      outputs.push({ topic: deps.topics.erasureEvents, key: receipt.requestId, value: JSON.stringify(receipt) });
      answered({ action: receipt.action, status: 'done', ageSeconds: ageOf(built.value.requestedAt) });
      audit.info(
        {
          event: 'subject_request.done',
          requestId: receipt.requestId,
          tenant: receipt.tenant,
          action: receipt.action,
          subjects: receipt.subjects,
          erased: receipt.erased,
          alreadyErased: receipt.alreadyErased,
          linked: receipt.linked,
          changed: receipt.changed,
          tokenCount: (receipt.retiredTokens ?? receipt.affectedTokens ?? []).length,
        },
        'request executed',
      );
    }
    return outputs;
  };
}
