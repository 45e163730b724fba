import { isSubjectReceipt, parseReceipt, readPolicyFile, REQUEST_SIGNATURE_HEADER, signRequest, type SubjectRequest } from '@ampseal/core';
import { createStreamService, subjectRequestMetrics, type Config, type Logger, type StreamService } from '@ampseal/service-kit';
import { adminApi } from './admin-api';
import { AdminServer } from './admin-server';
import { AuditLog } from './audit-log';
import { clearCopyTopics } from './clear-copies';
import { adminConsole } from './console/console';
import { SessionStore } from './console/session';
import { destroyExpiredEpochs, epochTenants, EpochSchedule, listEpochs } from './epochs';
import { assemblePlan } from './erasure-plan';
import { createRequestHandler } from './handler';
import { StatusIndex } from './status-index';

export interface Shredder extends StreamService {
  readonly status: StatusIndex;
  /** The admin listener when AMPSEAL_ADMIN_PORT is set (its port once started). */
  readonly admin: AdminServer | undefined;
}

/**
 * A request as a record of the requests topic, signed when a key is configured (the admin API and the CLI both
 * write through this: one place decides the bytes that are signed).
 */
export function requestRecord(topic: string, request: SubjectRequest, signingKey: Buffer | undefined): { topic: string; key: string; value: string; headers?: Record<string, string> } {
  const value = JSON.stringify(request);
  return { topic, key: request.requestId, value, ...(signingKey ? { headers: { [REQUEST_SIGNATURE_HEADER]: signRequest(signingKey, value) } } : {}) };
}

/**
 * The shredder on the service kit: requests in, receipts and the tombstone journal out, exactly once. What is
 * its own: the request handler (verifies request signatures), the status index (reads receipts), and the admin
 * listener with the producer it submits through (when AMPSEAL_ADMIN_PORT is set).
 */
export function createShredder(config: Config, logger: Logger): Shredder {
  const topics = config.topics;
  const status = new StatusIndex();
  if (!config.admin) logger.info({}, 'admin API off: AMPSEAL_ADMIN_PORT is not set');
  if (config.requestSignatures === 'off') logger.warn({ keys: config.requestSigningKeys.length }, 'request signatures are not enforced (AMPSEAL_REQUEST_SIGNATURES=off): any writer of the requests topic is obeyed');
  let admin: AdminServer | undefined;
  // keyring SPEC K48: the policy names the tenants with a linkability window; read and validated once, at start.
  const policy = readPolicyFile(config.policyFile);
  const tenantsWithEpochs = epochTenants(policy);
  const service = createStreamService({
    name: 'shredder',
    config,
    logger,
    inputTopics: [topics.erasureRequests],
    maxRecordsPerTransaction: 100,
    metrics: [subjectRequestMetrics],
    topics: [
      { topic: topics.erasureRequests, partitions: 1 },
      // K41: receipts carry retired tokens; kept as long as tombstones (raw retention + maximum backup age), then dropped.
      { topic: topics.erasureEvents, partitions: 1, config: { 'retention.ms': String(config.tombstoneLifetimeMs) } },
      { topic: topics.tombstones, partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ],
    setUp: ({ kafka, keyring }) => {
      const producer = kafka.producer();
      const receipts = kafka.consumer({
        name: 'status-index',
        groupId: `${config.groupId}-status-${config.instanceId}`,
        topics: [topics.erasureEvents],
        fromBeginning: true,
        logger,
        sessionTimeoutMs: config.sessionTimeoutMs,
        onRecord: (record) => {
          const parsed = parseReceipt(record.value?.toString('utf8') ?? '');
          if (parsed.ok) {
            if (isSubjectReceipt(parsed.value)) status.receipt(parsed.value);
          } else logger.warn({ topic: record.topic, offset: record.offset, problem: parsed.problem }, 'unreadable receipt skipped');
        },
      });
      const listener = config.admin;
      if (listener) {
        if (listener.console.enabled && listener.console.trustedHeader) {
          logger.warn({ header: listener.console.trustedHeader, host: listener.host }, 'the console trusts the operator named by a proxy header (AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER): only the proxy beside it may reach the admin listener');
        }
        const audit = new AuditLog(logger);
        const submit = async (request: SubjectRequest) => {
          // K16 at the door: an id that already erased other subjects is refused now (409), not only by a failed receipt.
          if (request.action === 'erase') {
            await keyring.checkRequestId(request.tenant, request.identifiers, { requestId: request.requestId, withLinked: request.withLinked });
          }
          await producer.send(requestRecord(topics.erasureRequests, request, config.requestSigningKeys[0]));
        };
        // The same plan as `ampseal erasure plan` (keyring SPEC K43): nothing is written.
        const plan = async (tenant: string, identifiers: SubjectRequest['identifiers']) =>
          assemblePlan({
            tenant,
            typed: identifiers,
            subjects: await keyring.plan(tenant, identifiers),
            topics: await clearCopyTopics(topics, kafka),
            rawRetentionMs: config.rawRetentionMs,
            tombstoneLifetimeMs: config.tombstoneLifetimeMs,
            now: Date.now(),
          });
        admin = new AdminServer({
          listener,
          logger,
          api: adminApi({ operators: listener.operators, status, audit, submit, plan }),
          ...(listener.console.enabled
            ? {
                console: adminConsole({
                  operators: listener.operators,
                  sessions: new SessionStore(listener.console.sessionMs),
                  audit,
                  status,
                  tenants: config.tenants,
                  tls: listener.tls !== undefined,
                  ...(listener.console.trustedHeader ? { trustedHeader: listener.console.trustedHeader } : {}),
                  submit,
                  plan,
                  ...(tenantsWithEpochs.length > 0 ? { epochs: () => listEpochs(keyring, tenantsWithEpochs, Date.now()) } : {}),
                }),
              }
            : {}),
        });
      }
      const schedule =
        tenantsWithEpochs.length > 0
          ? new EpochSchedule(
              () =>
                destroyExpiredEpochs({ keyring, policy, send: (records) => producer.sendAll(records), tombstonesTopic: topics.tombstones, receiptsTopic: topics.erasureEvents, logger, now: Date.now() }),
              config.epochDestroyIntervalMs,
              logger,
            )
          : undefined;
      const components = [producer, receipts, ...(schedule ? [schedule] : [])];
      return {
        handler: createRequestHandler({ keyring, topics, logger, signatures: { keys: config.requestSigningKeys, mode: config.requestSignatures } }),
        // The admin listener last: it opens once the producer it submits through is up, and closes first.
        components: admin ? [...components, admin] : components,
      };
    },
  });
  return {
    ...service,
    status,
    get admin() {
      return admin;
    },
  };
}
