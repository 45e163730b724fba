/**
 * `ampseal <command> --help`: each command's flags and the variables it reads (README "Configuration" has them all).
 * Kept beside the commands so a new flag is documented where it is parsed.
 */
const KAFKA = 'AMPSEAL_KAFKA_BROKERS and the AMPSEAL_KAFKA_SSL*/AMPSEAL_KAFKA_SASL_* security variables';
const KEY_STORE = 'AMPSEAL_REDIS_URL (+ AMPSEAL_REDIS_USERNAME/PASSWORD[_FILE]/CA_FILE), AMPSEAL_KMS_ENDPOINT, AMPSEAL_KMS_EMULATOR, AMPSEAL_KMS_REGION, AMPSEAL_KMS_ALIAS_PREFIX';
const IDS = `  --id KIND:VALUE         an identifier (repeat it); KIND is one of uid group emaid visual authref extra
                          vehicle driver device certserial energycontract customer
  --ids-from FILE|-       identifiers from a file or stdin, one KIND:VALUE per line (# comments, blank lines
                          ignored): identifiers stay out of shell history and the process list`;

const COMMANDS: Record<string, string> = {
  pseudonymize: `ampseal pseudonymize --audience analytics|roaming [options]
  File mode: NDJSON envelopes in, one NDJSON record out per output; bad lines to the quarantine file.
  --audience analytics|roaming  which output to write (required)
  --policy FILE                 audience policy (default: AMPSEAL_POLICY_FILE, else the built-in policy)
  --keyring memory|redis        memory: keys for this run only (default); redis: the real key ring
  --in FILE / --out FILE        input and output (default: stdin, stdout)
  --quarantine FILE             where rejected lines go as {"reason","offset","pointer","keyword"}
  reads: AMPSEAL_POLICY_FILE, AMPSEAL_MAX_RECORD_BYTES, AMPSEAL_TENANTS, AMPSEAL_MAX_CLOCK_SKEW_MS; with --keyring
         redis also ${KEY_STORE}
`,
  erase: `ampseal erase|restrict|unrestrict --tenant T (--id KIND:VALUE … | --ids-from FILE|-) --reason TEXT [options]
  Publishes a data-subject request to the shredder; prints the request id, or with --wait the receipt.
  --tenant T              the CPO tenant (required)
${IDS}
  --reason TEXT           why (audited, never put in a receipt) (required)
  --request-id ID         idempotency key (default: a new UUID); reusing one for other subjects is refused
  --with-linked           erase only: also erase every identifier that co-occurred with these in the same records
                          (see ampseal erasure plan); the shredder finds them by blind index when it runs
  --wait                  wait for the receipt (exact reads of the receipts topic)
  --timeout SECONDS       how long --wait waits (default 60)
  reads: ${KAFKA}, AMPSEAL_TOPIC_ERASURE_REQUESTS, AMPSEAL_TOPIC_ERASURE_EVENTS, AMPSEAL_REQUEST_SIGNING_KEY[_FILE]
    (the request is signed with it; a shredder that requires signatures refuses unsigned requests)
`,
  tokens: `ampseal tokens --tenant T (--id KIND:VALUE … | --ids-from FILE|-) [--policy FILE] [--format lines|json]
  A subject's current token, restriction and last erasure time, for access requests (Art. 15/20). For a tenant whose
  policy sets a linkability window, the token of the current epoch and the epoch's name (null token: nothing of this
  epoch was tokenized yet).
  --tenant T              the CPO tenant (required)
${IDS}
  --policy FILE           audience policy (default: AMPSEAL_POLICY_FILE, else the built-in policy)
  --format lines|json     lines: one JSON line per identifier, the current token (default); json: portability, one
                          document with every token each identifier carries in the analytics stores (one per live
                          epoch, with the epoch's dates) and the topic those records were written to; identifiers
                          appear by position and kind, never by value
  reads: AMPSEAL_POLICY_FILE, AMPSEAL_TOPIC_ANALYTICS, ${KEY_STORE}
`,
  epochs: `ampseal epochs list [--tenant T] [--policy FILE] [--format text|json]
  Every stored epoch of each tenant whose policy sets a linkability window: its name (<window days>d:<index>), start
  and end, and state: live, expired (older than the retention, its secret not yet destroyed) or destroyed (when).
  --tenant T              only this tenant
  --policy FILE           audience policy (default: AMPSEAL_POLICY_FILE, else the built-in policy)
  --format text|json      human-readable (default) or JSON
  reads: AMPSEAL_POLICY_FILE, ${KEY_STORE}

ampseal epochs destroy-expired [--tenant T] [--policy FILE]
  Destroys the secrets of the epochs older than each tenant's retention (the shredder also does it every
  AMPSEAL_EPOCH_DESTROY_INTERVAL_MS): journals each destruction to the tombstone journal first (reapply-tombstones
  destroys it again after a Redis restore), then destroys it, then prints one JSON receipt line per tenant
  {tenant, destroyed, destroyedAt, retention}. Tokens of a destroyed epoch can no longer be computed by anyone.
  --tenant T              only this tenant
  --policy FILE           audience policy (default: AMPSEAL_POLICY_FILE, else the built-in policy)
  reads: AMPSEAL_POLICY_FILE, ${KAFKA}, AMPSEAL_TOPIC_TOMBSTONES, ${KEY_STORE}
`,
  erasure: `ampseal erasure status ID
  done / failed (with times and counts) from the receipts topic, pending when only the request is there.
  reads: ${KAFKA}, AMPSEAL_TOPIC_ERASURE_REQUESTS, AMPSEAL_TOPIC_ERASURE_EVENTS

ampseal erasure plan --tenant T (--id KIND:VALUE … | --ids-from FILE|-) [--format text|json]
  Dry run: per identifier its token, generation, restriction and erasure state; the identifiers that co-occurred
  with it (kind, token and blind-index prefix: the index holds no clear values); and the topics where clear copies
  may still sit, with their retention and when the last copy ages out. Changes nothing.
  --tenant T              the CPO tenant (required)
${IDS}
  --format text|json      human-readable (default) or JSON
  reads: ${KAFKA}, AMPSEAL_TOPIC_OCPP_RAW, AMPSEAL_TOPIC_OCPI_RAW, AMPSEAL_TOPIC_QUARANTINE, AMPSEAL_TOPIC_ERASURE_REQUESTS,
         AMPSEAL_RAW_RETENTION_DAYS, AMPSEAL_MAX_BACKUP_AGE_DAYS, AMPSEAL_COOCCURRENCE_TTL_DAYS, ${KEY_STORE}
`,
  keyring: `ampseal keyring reapply-tombstones
  After restoring a Redis backup: reads the tombstone journal to its end (every partition) and re-applies it: the
  subject tombstones, and the epoch destructions (destroyed epochs are destroyed again).
  Exit 0: all applied; 3: applied, some malformed records skipped (reported); 1: failed, nothing applied.
  reads: ${KAFKA}, AMPSEAL_TOPIC_TOMBSTONES, ${KEY_STORE}
`,
  probe: `ampseal probe [--timeout SECONDS] URL…
  Waits until every URL answers 200 (helm test, container health checks: the image has no shell or curl).
  Every other answer and every connection error is retried every 2 s; exit 1 at the deadline, naming the last answer.
  --timeout SECONDS       how long in all (default 60)
  reads: no variable
`,
  run: `ampseal run pseudonymizer|shredder
  Runs a service (health /healthz, /readyz and /metrics on AMPSEAL_HTTP_PORT); SIGTERM drains it.
  reads: every AMPSEAL_* variable of README "Configuration"
`,
  schemas: `ampseal schemas register
  Registers the analytics schema as <topic>-value with BACKWARD compatibility, ahead of a deploy.
  reads: AMPSEAL_SCHEMA_REGISTRY_URL, AMPSEAL_TOPIC_ANALYTICS
`,
};

COMMANDS.restrict = COMMANDS.erase!;
COMMANDS.unrestrict = COMMANDS.erase!;

export const COMMAND_HELP: Readonly<Record<string, string>> = COMMANDS;

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
