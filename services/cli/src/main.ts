import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AmpsealError } from '@ampseal/core';
import { classifyFailure } from '@ampseal/kafka';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { epochsCommand } from './epochs';
import { COMMAND_HELP, wantsHelp } from './help';
import { probe } from './probe';
import { formatSummary, pseudonymize } from './pseudonymize';
import { terminalLogger } from './terminal';
import { CommandError, NotReadyError, currentTokens, erasurePlan, reapplyTombstones, requestStatus, submitRequest } from './subject-requests';

const USAGE = `usage:
  ampseal pseudonymize --audience analytics|roaming [--policy FILE] [--keyring memory|redis]
                       [--in FILE] [--out FILE] [--quarantine FILE]
  ampseal erase --tenant T (--id KIND:VALUE [--id …] | --ids-from FILE|-) --reason TEXT [--request-id ID] [--wait]
                [--with-linked]
  ampseal restrict|unrestrict (same flags as erase, without --with-linked)
  ampseal erasure status ID
  ampseal erasure plan --tenant T (--id KIND:VALUE [--id …] | --ids-from FILE|-) [--format text|json]
  ampseal tokens --tenant T (--id KIND:VALUE [--id …] | --ids-from FILE|-) [--policy FILE] [--format lines|json]
  ampseal epochs list [--tenant T] [--policy FILE] [--format text|json]
  ampseal epochs destroy-expired [--tenant T] [--policy FILE]
  ampseal run pseudonymizer|shredder
  ampseal schemas register
  ampseal keyring reapply-tombstones
  ampseal probe [--timeout SECONDS] URL…
  ampseal COMMAND --help    the command's flags and the variables it reads
  ampseal --version

  KIND: uid group emaid visual authref extra vehicle driver device certserial energycontract customer
`;

class UsageError extends Error {}

/** The CLI package's version: the one release number (the image's tag and label carry the same). */
export function version(): string {
  // From dist/ or src/ the package.json is one level up, in the repository and in the image alike.
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

function choice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback?: T): T {
  const v = value ?? fallback;
  if (v === undefined) throw new UsageError(`${flag} is required (${allowed.join('|')})`);
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}`);
  return v as T;
}

async function runPseudonymize(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      audience: { type: 'string' },
      policy: { type: 'string' },
      keyring: { type: 'string' },
      in: { type: 'string' },
      out: { type: 'string' },
      quarantine: { type: 'string' },
    },
    strict: true,
  });
  const audience = choice(values.audience, ['analytics', 'roaming'] as const, '--audience');
  const keyringKind = choice(values.keyring, ['memory', 'redis'] as const, '--keyring', 'memory');
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const logger = terminalLogger(config.logLevel);
  const keyring = await openKeyRing(keyringKind, config, logger);
  try {
    const summary = await pseudonymize(
      {
        audience,
        policyFile: values.policy ?? config.policyFile,
        inFile: values.in,
        outFile: values.out,
        quarantineFile: values.quarantine,
        maxRecordBytes: config.maxRecordBytes,
        tenants: config.tenants,
        maxClockSkewMs: config.maxClockSkewMs,
      },
      keyring,
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    );
    process.stderr.write(formatSummary(summary));
    return 0;
  } finally {
    await keyring.stop();
  }
}

/**
 * The service keeps the process alive and SIGTERM drains it and exits; a failed start has set 1 by the time
 * `run` returns (the launcher's own exit code must not overwrite it with 0).
 */
function serviceExitCode(): number {
  return Number(process.exitCode ?? 0);
}

async function runService(argv: string[]): Promise<number> {
  const [service, ...extra] = argv;
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  switch (service) {
    case 'pseudonymizer': {
      const { runPseudonymizer } = await import('@ampseal/pseudonymizer');
      await runPseudonymizer(process.env);
      return serviceExitCode();
    }
    case 'shredder': {
      const { runShredder } = await import('@ampseal/shredder');
      await runShredder(process.env);
      return serviceExitCode();
    }
    default:
      throw new UsageError('run takes pseudonymizer or shredder');
  }
}

async function runProbe(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { timeout: { type: 'string' } }, allowPositionals: true, strict: true });
  const seconds = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3_600) throw new UsageError('--timeout takes whole seconds, 1 to 3600');
  if (positionals.length === 0) throw new UsageError('probe takes one or more http(s) URLs');
  for (const url of positionals) if (!/^https?:\/\//.test(url)) throw new UsageError(`probe takes http(s) URLs, not '${url}'`);
  const ok = await probe(positionals, { timeoutMs: seconds * 1000, intervalMs: 2_000, write: (line) => process.stdout.write(`${line}\n`) });
  return ok ? 0 : 1;
}

async function runSchemas(argv: string[]): Promise<number> {
  if (argv[0] !== 'register' || argv.length > 1) throw new UsageError('schemas takes register');
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const { registerSchema } = await import('@ampseal/kafka');
  const { ANALYTICS_SCHEMA_FILE } = await import('@ampseal/core');
  const { id, subject } = await registerSchema(config.schemaRegistry, config.topics.analytics, ANALYTICS_SCHEMA_FILE);
  process.stdout.write(`registered ${subject} (schema id ${id}, compatibility BACKWARD)\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && COMMAND_HELP[command] !== undefined && wantsHelp(rest)) {
    process.stdout.write(COMMAND_HELP[command]!);
    return 0;
  }
  try {
    switch (command) {
      case 'pseudonymize':
        return await runPseudonymize(rest);
      case 'run':
        return await runService(rest);
      case 'schemas':
        return await runSchemas(rest);
      case 'erase':
      case 'restrict':
      case 'unrestrict':
        return await submitRequest(command, rest);
      case 'erasure':
        if (rest[0] === 'plan') return await erasurePlan(rest.slice(1));
        if (rest[0] !== 'status') throw new UsageError('erasure takes status ID or plan');
        return await requestStatus(rest.slice(1));
      case 'tokens':
        return await currentTokens(rest);
      case 'epochs':
        return await epochsCommand(rest);
      case 'keyring':
        if (rest[0] !== 'reapply-tombstones') throw new UsageError('keyring takes reapply-tombstones');
        return await reapplyTombstones(rest.slice(1));
      case 'probe':
        return await runProbe(rest);
      case '--version':
      case 'version':
        process.stdout.write(`ampseal ${version()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (thrown) {
    let err = thrown;
    if (err instanceof UsageError || err instanceof CommandError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`ampseal: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof NotReadyError) {
      process.stderr.write(`ampseal: ${err.message}\n`);
      return 1;
    }
    // A kafkajs error becomes its table entry (BROKER_UNAVAILABLE, KAFKA_AUTHORIZATION, …), never "internal error".
    const failure = err instanceof AmpsealError ? err : classifyFailure(err).error;
    if (failure.code === 'AMPSEAL_ERR_BROKER_UNAVAILABLE') {
      process.stderr.write(`ampseal: ${failure.message} (${failure.code}): is Kafka running at AMPSEAL_KAFKA_BROKERS? For the local stack run: set -a; eval "$(bash infra/stack.sh env)"; set +a\n`);
      return 1;
    }
    if (failure.code !== 'AMPSEAL_ERR_INTERNAL') err = failure;
    if (err instanceof AmpsealError) {
      process.stderr.write(`ampseal: ${err.message} (${err.code})\n`);
      // The common cause on a laptop: no endpoint set, so the AWS SDK asked real AWS KMS instead of local-kms.
      if (err.reason === 'kms_unavailable' && !process.env.AMPSEAL_KMS_ENDPOINT) {
        process.stderr.write('ampseal: AMPSEAL_KMS_ENDPOINT is not set, so AWS KMS itself was asked; for the local stack run: set -a; eval "$(bash infra/stack.sh env)"; set +a\n');
      }
      return err.code === 'AMPSEAL_ERR_CONFIG_INVALID' || err.code === 'AMPSEAL_ERR_POLICY_INVALID' ? 2 : 1;
    }
    // Anything else is a failure the table names too (INTERNAL), with the error's class only: a message or stack
    // could quote data from a record (JSON.parse does).
    const internal = new AmpsealError('INTERNAL', `${(err as Error)?.name ?? 'error'}; no record content is shown`);
    process.stderr.write(`ampseal: ${internal.message} (${internal.code})\n`);
    return 1;
  }
}
