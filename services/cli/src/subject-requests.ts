import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildSubjectRequest, epochBounds, parseEpochName, readPolicyFile, splitIdentifierArg, type SubjectAction, type SubjectReceipt, isSubjectReceipt, parseReceipt } from '@ampseal/core';
import { TopicAdmin, readToEnd, type KafkaPort } from '@ampseal/kafka';
import { isEpochDestructionRecord, isTombstoneRecord, type EpochDestructionRecord, type SubjectEpochTokens, type TombstoneRecord } from '@ampseal/keyring';
import { connectKafka, loadConfig, openKeyRing, type Config } from '@ampseal/service-kit';
import { assemblePlan, clearCopyTopics, formatPlan, requestRecord } from '@ampseal/shredder';
import { terminalLogger } from './terminal';

export class CommandError extends Error {}

/** Something the command needs is not there (a topic, a shredder): exit 1 with what to do, no usage text. */
export class NotReadyError extends Error {}

/**
 * `--id` values, plus `--ids-from FILE|-` (one KIND:VALUE per line; # comments and blank lines ignored), so identifiers
 * need not sit in shell history or the process list.
 */
export function identifiers(args: string[] | undefined, from?: string): Array<{ kind: string; value: string }> {
  const all = [...(args ?? [])];
  if (from !== undefined) {
    let text: string;
    try {
      text = readFileSync(from === '-' ? 0 : from, 'utf8');
    } catch (err) {
      throw new CommandError(`--ids-from: cannot read ${from === '-' ? 'stdin' : 'the file'} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed !== '' && !trimmed.startsWith('#')) all.push(trimmed);
    }
  }
  if (all.length === 0) throw new CommandError('--id KIND:VALUE or --ids-from FILE|- is required (repeat --id for several identifiers)');
  return all.map((arg, i) => {
    const split = splitIdentifierArg(arg);
    // The position, never the value: a mistyped identifier is still an identifier.
    if (!split.ok) throw new CommandError(`identifier ${i + 1}: ${split.problem}`);
    return { kind: split.value.kind, value: split.value.raw };
  });
}

/** How long one exact read of a topic may take before the command fails (nothing partial is reported). */
const READ_DEADLINE_MS = 30_000;

/** The configuration and a Kafka connection on the client AMPSEAL_KAFKA_CLIENT names, as the services use. */
export async function context(): Promise<{ config: Config; kafka: KafkaPort }> {
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const logger = terminalLogger(config.logLevel);
  return { config, kafka: await connectKafka(config, 'ampseal-cli', logger) };
}

/**
 * Fails at once, with what to do, when a topic the command needs is not on the broker: the shredder creates the request,
 * receipt and journal topics when it starts, so a missing one almost always means no shredder has run with these
 * AMPSEAL_TOPIC_* names (reading or writing a missing topic would otherwise retry for half a minute).
 */
export async function requireTopics(kafka: KafkaPort, topics: readonly string[]): Promise<void> {
  const admin = new TopicAdmin(kafka);
  let listed: Set<string>;
  try {
    listed = new Set(await admin.list());
  } finally {
    await admin.stop();
  }
  const missing = topics.filter((t) => !listed.has(t));
  if (missing.length > 0) {
    throw new NotReadyError(
      `topic ${missing.join(', ')} does not exist on the broker: start the shredder first (ampseal run shredder creates its topics), or check the AMPSEAL_TOPIC_* names`,
    );
  }
}

/** The records of `topic` keyed `key`, read to the topic's end offsets (exact: not a quiet-period guess). */
async function recordsKeyed(kafka: KafkaPort, topic: string, key: string, deadlineMs = READ_DEADLINE_MS) {
  const { records } = await readToEnd(kafka, [topic], { deadlineMs, keep: (r) => r.key?.toString('utf8') === key });
  return records;
}

/** The newest receipt of a request, read by core's one receipt reader; a malformed one is an error, not a status. */
function lastReceipt(records: ReadonlyArray<{ readonly value: Buffer | null }>): SubjectReceipt {
  const parsed = parseReceipt(records[records.length - 1]!.value?.toString('utf8') ?? '');
  if (!parsed.ok) throw new CommandError(`the receipts topic holds a malformed receipt for this request (${parsed.problem})`);
  if (!isSubjectReceipt(parsed.value)) throw new CommandError('the receipts topic holds an epochs receipt under this request id');
  return parsed.value;
}

/**
 * Reads the receipts topic to its end until the receipt of this submission is there, or the timeout passes. A request id
 * used before has older receipts: only one that answers this submission (same requestedAt) counts, so a reused id never
 * reads as the earlier request's "done".
 */
async function waitForReceipt(kafka: KafkaPort, topic: string, requestId: string, requestedAt: string, timeoutMs: number): Promise<SubjectReceipt | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = (await recordsKeyed(kafka, topic, requestId, Math.max(READ_DEADLINE_MS, deadline - Date.now()))).filter(
      (r) => parseReceipt(r.value?.toString('utf8') ?? '').ok !== true || lastReceipt([r]).requestedAt === requestedAt,
    );
    if (found.length > 0) return lastReceipt(found);
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

function describeReceipt(r: SubjectReceipt): string {
  if (r.status === 'failed') return `${r.requestId}: failed (${r.error ?? 'error'}) at ${r.completedAt}\n`;
  const counts =
    r.action === 'erase'
      ? `erased ${r.erased ?? 0}, already erased ${r.alreadyErased ?? 0}${r.linked !== undefined ? ` (${r.linked} linked)` : ''}, tokens retired ${(r.retiredTokens ?? []).length}, erasedAt ${r.erasedAt}`
      : `flag changed on ${r.changed ?? 0} of ${r.subjects}`;
  // Roaming CDRs of the subject keep going to the token issuer (its billing data): tell the operator to notify it.
  const roaming = r.roaming ? '; roaming CDRs still go to the token issuer only: notify the issuer (GDPR Art. 19)' : '';
  return `${r.requestId}: ${r.action} done at ${r.completedAt} (${counts})${roaming}\n`;
}

/** `ampseal erase|restrict|unrestrict --tenant T --id KIND:VALUE … --reason TEXT [--request-id ID] [--wait]` */
export async function submitRequest(action: SubjectAction, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tenant: { type: 'string' },
      id: { type: 'string', multiple: true },
      'ids-from': { type: 'string' },
      reason: { type: 'string' },
      'request-id': { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '60' },
      'with-linked': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.tenant) throw new CommandError('--tenant is required');
  if (!values.reason) throw new CommandError('--reason is required');
  if (values['with-linked'] && action !== 'erase') throw new CommandError('--with-linked applies to erase only');
  const built = buildSubjectRequest({
    requestId: values['request-id'] ?? randomUUID(),
    tenant: values.tenant,
    action,
    identifiers: identifiers(values.id, values['ids-from']),
    reason: values.reason,
    ...(values['with-linked'] ? { withLinked: true } : {}),
  });
  if (!built.ok) throw new CommandError(built.problem);
  const request = built.value;
  const { config, kafka } = await context();
  await requireTopics(kafka, values.wait ? [config.topics.erasureRequests, config.topics.erasureEvents] : [config.topics.erasureRequests]);
  const producer = kafka.producer();
  await producer.start();
  try {
    // Signed with AMPSEAL_REQUEST_SIGNING_KEY when set: a shredder that requires signatures refuses anything else.
    await producer.send(requestRecord(config.topics.erasureRequests, request, config.requestSigningKeys[0]));
  } finally {
    await producer.stop();
  }
  if (!values.wait) {
    process.stdout.write(`${request.requestId}\n`);
    return 0;
  }
  const receipt = await waitForReceipt(kafka, config.topics.erasureEvents, request.requestId, request.requestedAt, Number(values.timeout) * 1000);
  if (!receipt) {
    process.stderr.write(`ampseal: no receipt for ${request.requestId} yet (is the shredder running?); check with: ampseal erasure status ${request.requestId}\n`);
    return 1;
  }
  process.stdout.write(describeReceipt(receipt));
  return receipt.status === 'done' ? 0 : 1;
}

/** `ampseal erasure status ID`: done/failed from the receipts, pending from the requests topic. */
export async function requestStatus(argv: string[]): Promise<number> {
  const [requestId, ...rest] = argv;
  if (!requestId || rest.length > 0) throw new CommandError('usage: ampseal erasure status ID');
  const { config, kafka } = await context();
  await requireTopics(kafka, [config.topics.erasureEvents, config.topics.erasureRequests]);
  const receipts = await recordsKeyed(kafka, config.topics.erasureEvents, requestId);
  if (receipts.length > 0) {
    process.stdout.write(describeReceipt(lastReceipt(receipts)));
    return 0;
  }
  const requests = await recordsKeyed(kafka, config.topics.erasureRequests, requestId);
  if (requests.length > 0) {
    const { requestedAt, action } = JSON.parse(requests[0]!.value!.toString('utf8')) as { requestedAt: string; action: string };
    process.stdout.write(`${requestId}: ${action} pending since ${requestedAt}\n`);
    return 0;
  }
  process.stderr.write(`ampseal: no request ${requestId}\n`);
  return 1;
}

/** `ampseal erasure plan --tenant T --id KIND:VALUE … [--format text|json]`: a dry run of an erasure (keyring SPEC K43). */
export async function erasurePlan(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { tenant: { type: 'string' }, id: { type: 'string', multiple: true }, 'ids-from': { type: 'string' }, format: { type: 'string', default: 'text' } },
    strict: true,
  });
  if (!values.tenant) throw new CommandError('--tenant is required');
  if (values.format !== 'text' && values.format !== 'json') throw new CommandError('--format must be text or json');
  const built = buildSubjectRequest({ requestId: 'plan', tenant: values.tenant, action: 'erase', identifiers: identifiers(values.id, values['ids-from']), reason: 'plan' });
  if (!built.ok) throw new CommandError(built.problem);
  const { config, kafka } = await context();
  const keyring = await openKeyRing('redis', config, terminalLogger(config.logLevel));
  let subjects;
  try {
    subjects = await keyring.plan(values.tenant, built.value.identifiers);
  } finally {
    await keyring.stop();
  }
  const plan = assemblePlan({
    tenant: values.tenant,
    typed: built.value.identifiers,
    subjects,
    topics: await clearCopyTopics(config.topics, kafka),
    rawRetentionMs: config.rawRetentionMs,
    tombstoneLifetimeMs: config.tombstoneLifetimeMs,
    now: Date.now(),
  });
  process.stdout.write(values.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
  return 0;
}

/** `ampseal tokens --tenant T --id KIND:VALUE`: the subject's current tokens (access requests, Art. 15/20). */
export async function currentTokens(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tenant: { type: 'string' },
      id: { type: 'string', multiple: true },
      'ids-from': { type: 'string' },
      policy: { type: 'string' },
      format: { type: 'string', default: 'lines' },
    },
    strict: true,
  });
  if (!values.tenant) throw new CommandError('--tenant is required');
  if (values.format !== 'lines' && values.format !== 'json') throw new CommandError('--format must be lines or json');
  const built = buildSubjectRequest({ requestId: 'access', tenant: values.tenant, action: 'erase', identifiers: identifiers(values.id, values['ids-from']), reason: 'access request' });
  if (!built.ok) throw new CommandError(built.problem);
  const config = loadConfig(process.env, { logLevel: 'warn' });
  // keyring SPEC K45: a tenant with a linkability window has a token per epoch; the current epoch's is shown.
  const linkability = readPolicyFile(values.policy ?? config.policyFile).tenants.get(values.tenant)?.linkability;
  const keyring = await openKeyRing('redis', config, terminalLogger(config.logLevel));
  try {
    if (values.format === 'json') {
      const states = await keyring.tokensByEpoch(values.tenant, built.value.identifiers);
      process.stdout.write(`${JSON.stringify(portability(values.tenant, built.value.identifiers, states, linkability !== undefined, config.topics.analytics), null, 2)}\n`);
      return 0;
    }
    const states = await keyring.currentTokens(values.tenant, built.value.identifiers, linkability);
    states.forEach((s, i) => {
      const { kind } = built.value.identifiers[i]!;
      process.stdout.write(
        `${JSON.stringify({
          kind,
          token: s.token,
          ...(s.epoch === undefined ? {} : { epoch: s.epoch }),
          restricted: s.restricted,
          erasedAt: s.erasedAt === null ? null : new Date(s.erasedAt).toISOString(),
        })}\n`,
      );
    });
    return 0;
  } finally {
    await keyring.stop();
  }
}

/**
 * `ampseal tokens --format json` (portability and access, Art. 15/20; keyring SPEC K52): per identifier (by its position
 * in the request and its kind, never its value) every token it carries in the analytics stores, with its epoch and
 * the epoch's dates, and the topic the pipeline writes such records to: what a controller searches its analytics
 * stores for. Only the analytics audience carries pseudonyms; the roaming output carries none.
 */
export function portability(
  tenant: string,
  subjects: ReadonlyArray<{ readonly kind: string }>,
  states: readonly SubjectEpochTokens[],
  epochal: boolean,
  analyticsTopic: string,
): object {
  return {
    tenant,
    subjects: states.map((s, index) => ({
      index,
      kind: subjects[index]!.kind,
      restricted: s.restricted,
      erasedAt: s.erasedAt === null ? null : new Date(s.erasedAt).toISOString(),
      // A tenant with a window never emitted its subject tokens (only epoch tokens): those are left out.
      tokens: s.tokens
        .filter((t) => !(epochal && t.epoch === null))
        .map((t) => {
          const parsed = t.epoch === null ? undefined : parseEpochName(t.epoch);
          const bounds = parsed === undefined ? undefined : epochBounds(parsed.epoch, parsed.windowMs);
          return {
            token: t.token,
            epoch: t.epoch,
            ...(bounds ? { from: new Date(bounds.start).toISOString(), until: new Date(bounds.end).toISOString() } : {}),
            topics: [analyticsTopic],
          };
        }),
    })),
  };
}

/** Epoch destructions per tenant and destruction time: one key-ring call each. */
function groupEpochs(records: readonly EpochDestructionRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const key = `${r.tenant}\0${r.destroyedAt}`;
    const names = out.get(key);
    if (names === undefined) out.set(key, [r.epoch]);
    else names.push(r.epoch);
  }
  return out;
}

/**
 * `ampseal keyring reapply-tombstones`: after restoring a Redis backup, re-applies every tombstone of the
 * journal topic, so no erased key comes back (services/keyring/BACKUP.md).
 */
export async function reapplyTombstones(argv: string[]): Promise<number> {
  if (argv.length > 0) throw new CommandError('usage: ampseal keyring reapply-tombstones');
  const { config, kafka } = await context();
  // The exact reader fails (exit non-zero) unless every partition of the journal was read to its end offset: a
  // restore that silently read nothing would leave every erased key of the backup alive.
  // Every record written before this point is read: a shredder's transaction still open now is waited for (its
  // tombstones applied once committed), and one open past the deadline fails the command (TRANSACTION_OPEN).
  const { records, partitions } = await readToEnd(kafka, [config.topics.tombstones], {
    deadlineMs: 120_000,
    onEnds: (ends) =>
      process.stderr.write(`ampseal: reading the tombstone journal to its end offsets (${ends.map((e) => `partition ${e.partition}: ${e.end}`).join(', ')})\n`),
  });
  const byPartition = new Map<number, { read: number; skipped: number; valid: TombstoneRecord[]; epochs: EpochDestructionRecord[] }>();
  for (const p of partitions) byPartition.set(p.partition, { read: 0, skipped: 0, valid: [], epochs: [] });
  for (const r of records) {
    const entry = byPartition.get(r.partition)!;
    if (r.value === null || r.value.length === 0) continue; // a compaction tombstone of the journal topic itself
    entry.read++;
    let value: unknown;
    try {
      value = JSON.parse(r.value.toString('utf8'));
    } catch {
      value = undefined;
    }
    // One malformed record is reported and skipped; the rest are applied (K31 refuses a whole call otherwise).
    if (isEpochDestructionRecord(value)) entry.epochs.push(value);
    else if (value !== undefined && isTombstoneRecord(value as TombstoneRecord)) entry.valid.push(value as TombstoneRecord);
    else {
      entry.skipped++;
      process.stderr.write(`ampseal: skipped a malformed journal record at ${config.topics.tombstones}[${r.partition}]@${r.offset}\n`);
    }
  }
  const keyring = await openKeyRing('redis', config, terminalLogger(config.logLevel));
  let skipped = 0;
  try {
    for (const [partition, entry] of [...byPartition].sort(([a], [b]) => a - b)) {
      const result = entry.valid.length > 0 ? await keyring.applyTombstones(entry.valid) : { applied: 0, keysDeleted: 0 };
      // keyring SPEC K50: every destroyed epoch is destroyed again (its first destruction time kept), so a restored
      // backup cannot bring an epoch secret back.
      let epochsDestroyed = 0;
      for (const [key, names] of groupEpochs(entry.epochs)) {
        const [tenant, at] = key.split('\0') as [string, string];
        epochsDestroyed += (await keyring.destroyEpochs(tenant, names, Number(at))).destroyed.length;
      }
      skipped += entry.skipped;
      process.stdout.write(
        `partition ${partition}: read to end, ${entry.read} records, applied ${result.applied}, skipped ${entry.skipped}, stale keys deleted ${result.keysDeleted}, epochs destroyed again ${epochsDestroyed} of ${entry.epochs.length}\n`,
      );
    }
    // 3: everything was read and applied except the records reported above (an operator must look at them); a read
    // that could not reach every partition's end fails before anything is applied (exit 1).
    return skipped > 0 ? 3 : 0;
  } finally {
    await keyring.stop();
  }
}
