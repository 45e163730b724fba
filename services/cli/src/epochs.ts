import { parseArgs } from 'node:util';
import { isTenant, readPolicyFile, TENANT_RULE, type CompiledPolicy } from '@ampseal/core';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { destroyExpiredEpochs, epochTenants, listEpochs, type EpochRow } from '@ampseal/shredder';
import { CommandError, context, requireTopics } from './subject-requests';
import { terminalLogger } from './terminal';

/**
 * `ampseal epochs list|destroy-expired` (keyring SPEC K48, K49): the ops commands of token epochs. The tenants and their
 * windows and retentions come from the policy file (AMPSEAL_POLICY_FILE or --policy), the epochs from Redis.
 */

function tenantsOf(policy: CompiledPolicy, only: string | undefined): Array<[string, number]> {
  if (only !== undefined && !isTenant(only)) throw new CommandError(`--tenant must be ${TENANT_RULE}`);
  const out = epochTenants(policy, only);
  if (only !== undefined && out.length === 0) throw new CommandError(`tenant ${only} has no linkability window in the policy (tenants.<tenant>.linkability)`);
  return out;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { tenant: { type: 'string' }, policy: { type: 'string' }, format: { type: 'string', default: 'text' } }, strict: true });
  if (values.format !== 'text' && values.format !== 'json') throw new CommandError('--format must be text or json');
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const policy = readPolicyFile(values.policy ?? config.policyFile);
  const tenants = tenantsOf(policy, values.tenant);
  const keyring = await openKeyRing('redis', config, terminalLogger(config.logLevel));
  let rows: EpochRow[];
  try {
    rows = await listEpochs(keyring, tenants, Date.now());
  } finally {
    await keyring.stop();
  }
  if (values.format === 'json') {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (tenants.length === 0) process.stdout.write('no tenant of the policy has a linkability window\n');
  for (const r of rows) {
    process.stdout.write(`${r.tenant}  ${r.epoch}  ${r.start} .. ${r.end}  ${r.state}${r.destroyedAt ? ` at ${r.destroyedAt}` : ''}\n`);
  }
  return 0;
}

async function destroyExpired(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { tenant: { type: 'string' }, policy: { type: 'string' } }, strict: true });
  const { config, kafka } = await context();
  const policy = readPolicyFile(values.policy ?? config.policyFile);
  tenantsOf(policy, values.tenant); // refuses an unknown --tenant before anything is opened
  const logger = terminalLogger(config.logLevel);
  // The journal must exist: a destruction the journal does not hold would come back with a Redis backup (K50). The
  // receipts topic too: the receipt goes there as well as to stdout.
  await requireTopics(kafka, [config.topics.tombstones, config.topics.erasureEvents]);
  const producer = kafka.producer();
  await producer.start();
  try {
    const keyring = await openKeyRing('redis', config, logger);
    try {
      const receipts = await destroyExpiredEpochs({
        keyring,
        policy,
        send: (records) => producer.sendAll(records),
        tombstonesTopic: config.topics.tombstones,
        receiptsTopic: config.topics.erasureEvents,
        logger,
        ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
        now: Date.now(),
      });
      // The receipt (also on the receipts topic): which epochs of which tenant were destroyed, when (no identifier, no token, no key).
      for (const receipt of receipts) process.stdout.write(`${JSON.stringify(receipt)}\n`);
      if (receipts.length === 0) process.stderr.write('ampseal: no expired epoch to destroy\n');
      return 0;
    } finally {
      await keyring.stop();
    }
  } finally {
    await producer.stop();
  }
}

export async function epochsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return list(rest);
  if (sub === 'destroy-expired') return destroyExpired(rest);
  throw new CommandError('epochs takes list or destroy-expired');
}
