import { createPrivateKey, X509Certificate } from 'node:crypto';
import { flag, integer, invalid, type Env } from './read';
import { fileBytes, fileText } from './secret';

/** One operator of the admin API: the name the audit log shows, and the SHA-256 of the operator's token. */
export interface AdminOperator {
  readonly name: string;
  readonly tokenSha256: Buffer;
}

/** The shredder's admin listener: its own port, off unless AMPSEAL_ADMIN_PORT is set. */
export interface AdminListener {
  readonly host: string;
  /** 0: an ephemeral port (tests). */
  readonly port: number;
  readonly operators: readonly AdminOperator[];
  /** PEM certificate chain and private key; plain HTTP without them. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly maxConnections: number;
  /** The privacy console under /console (AMPSEAL_ADMIN_CONSOLE, on by default with the listener). */
  readonly console: {
    readonly enabled: boolean;
    readonly sessionMs: number;
    /**
     * A request header naming the operator, set by an authenticating proxy in front (oauth2-proxy): trusted only when
     * configured, and only on a listener bound to loopback (a sidecar's). Lower-case; undefined: off.
     */
    readonly trustedHeader: string | undefined;
  };
}

/** The shredder's own: the admin listener and the schedule that destroys expired epochs. */
export interface ShredderSection {
  readonly admin: AdminListener | undefined;
  /** keyring SPEC K48: how often the shredder destroys the epochs older than each tenant's retention. */
  readonly epochDestroyIntervalMs: number;
}

export function readShredderSection(env: Env): ShredderSection {
  // Between a second and a day: an expired epoch gives no token from the moment it expires (K46); the schedule only
  // bounds how long its wrapped secret stays in Redis after that.
  const epochDestroyIntervalMs = integer(env, 'AMPSEAL_EPOCH_DESTROY_INTERVAL_MS', 3_600_000, 1_000, 86_400_000);
  // The old single shared token: refused rather than ignored, so an upgrade cannot silently leave operators without
  // the API (or believe it is still guarded by that token).
  if (env.AMPSEAL_ADMIN_TOKEN?.trim()) invalid('AMPSEAL_ADMIN_TOKEN', 'unset: it is no longer read; the admin API listens on AMPSEAL_ADMIN_PORT and authenticates named operators from AMPSEAL_ADMIN_TOKENS_FILE');
  const port = env.AMPSEAL_ADMIN_PORT?.trim();
  const tlsCert = env.AMPSEAL_ADMIN_TLS_CERT_FILE?.trim();
  const tlsKey = env.AMPSEAL_ADMIN_TLS_KEY_FILE?.trim();
  if (port === undefined || port === '') {
    for (const variable of ['AMPSEAL_ADMIN_TOKENS_FILE', 'AMPSEAL_ADMIN_TLS_CERT_FILE', 'AMPSEAL_ADMIN_TLS_KEY_FILE', 'AMPSEAL_ADMIN_CONSOLE', 'AMPSEAL_ADMIN_CONSOLE_SESSION_MINUTES', 'AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER'] as const) {
      if (env[variable]?.trim()) invalid(variable, 'set only together with AMPSEAL_ADMIN_PORT (the admin API is off without it)');
    }
    return { admin: undefined, epochDestroyIntervalMs };
  }
  if (!env.AMPSEAL_ADMIN_TOKENS_FILE?.trim()) invalid('AMPSEAL_ADMIN_TOKENS_FILE', 'set when AMPSEAL_ADMIN_PORT is: the file of operator names and token hashes');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) invalid(tlsCert ? 'AMPSEAL_ADMIN_TLS_KEY_FILE' : 'AMPSEAL_ADMIN_TLS_CERT_FILE', 'set together with the other of AMPSEAL_ADMIN_TLS_CERT_FILE and AMPSEAL_ADMIN_TLS_KEY_FILE');
  const host = env.AMPSEAL_ADMIN_HOST?.trim() || '0.0.0.0';
  return {
    epochDestroyIntervalMs,
    admin: {
      host,
      port: integer(env, 'AMPSEAL_ADMIN_PORT', 0, 0, 65_535),
      operators: parseOperators(fileText(env, 'AMPSEAL_ADMIN_TOKENS_FILE')),
      tls: tlsCert ? readTls(env) : undefined,
      maxConnections: integer(env, 'AMPSEAL_ADMIN_MAX_CONNECTIONS', 32, 1, 10_000),
      console: {
        enabled: flag(env, 'AMPSEAL_ADMIN_CONSOLE', true),
        // A console session ends this long after sign-in, whatever it does (no sliding renewal).
        sessionMs: integer(env, 'AMPSEAL_ADMIN_CONSOLE_SESSION_MINUTES', 60, 5, 720) * 60_000,
        trustedHeader: trustedHeader(env, host),
      },
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The proxy header mode (off unless set). Whoever reaches the listener could send the header, so it is accepted only on
 * a listener bound to loopback: reachable by a proxy in the same pod or host, never from the network.
 */
function trustedHeader(env: Env, host: string): string | undefined {
  const header = env.AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER?.trim();
  if (!header) return undefined;
  if (!/^[A-Za-z0-9-]{1,64}$/.test(header)) invalid('AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER', 'a header name (letters, digits, -), e.g. X-Forwarded-Email');
  if (!LOOPBACK.has(host)) {
    invalid('AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER', 'set only with AMPSEAL_ADMIN_HOST=127.0.0.1 or ::1: any client that reaches the listener could send the header, so only a proxy beside it (a sidecar) may');
  }
  return header.toLowerCase();
}

const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * The token file: one `name:sha256hex` a line (the SHA-256 of the token, hex), `#` comments and blank lines
 * ignored. Problems name the line number, never the line (it could hold a token pasted by mistake).
 */
export function parseOperators(text: string): AdminOperator[] {
  const operators: AdminOperator[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = line.indexOf(':');
    const name = line.slice(0, at);
    const hash = line.slice(at + 1).toLowerCase();
    if (at < 0 || !OPERATOR_NAME.test(name) || !SHA256_HEX.test(hash)) {
      invalid('AMPSEAL_ADMIN_TOKENS_FILE', `lines of name:sha256hex (name: letters, digits, . _ @ -, at most 64; the token's SHA-256 as 64 hex digits): line ${i + 1} is not`);
    }
    if (names.has(name)) invalid('AMPSEAL_ADMIN_TOKENS_FILE', `one line per operator: line ${i + 1} repeats a name`);
    // Two operators with one token could not be told apart in the audit log.
    if (hashes.has(hash)) invalid('AMPSEAL_ADMIN_TOKENS_FILE', `one token per operator: line ${i + 1} repeats another operator's token hash`);
    names.add(name);
    hashes.add(hash);
    operators.push({ name, tokenSha256: Buffer.from(hash, 'hex') });
  });
  if (operators.length === 0) invalid('AMPSEAL_ADMIN_TOKENS_FILE', 'a file with at least one name:sha256hex line');
  return operators;
}

function readTls(env: Env): { cert: Buffer; key: Buffer } {
  const cert = fileBytes(env, 'AMPSEAL_ADMIN_TLS_CERT_FILE');
  const key = fileBytes(env, 'AMPSEAL_ADMIN_TLS_KEY_FILE');
  // Parsed now, so a wrong file stops the start with the variable's name instead of failing the first handshake.
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    return invalid('AMPSEAL_ADMIN_TLS_CERT_FILE', 'a PEM certificate (chain) file');
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) invalid('AMPSEAL_ADMIN_TLS_KEY_FILE', 'the private key of the certificate in AMPSEAL_ADMIN_TLS_CERT_FILE');
  } catch (err) {
    if ((err as { code?: string }).code === 'AMPSEAL_ERR_CONFIG_INVALID') throw err;
    return invalid('AMPSEAL_ADMIN_TLS_KEY_FILE', 'a PEM private key file (unencrypted)');
  }
  return { cert, key };
}
