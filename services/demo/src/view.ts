/** The demo's terminal view: pure formatting, so it is testable and the I/O loop stays small. */
export interface Counters {
  sent: { ocpp: number; ocpi: number; malformed: number };
  out: { analytics: number; roaming: number; quarantine: number };
  byReason: Record<string, number>;
  recipients: Record<string, number>;
}

export interface Pair {
  readonly message: string;
  readonly raw: ReadonlyArray<{ kind: string; raw: string }>;
  readonly tokens: ReadonlyArray<{ kind: string; status: string; token: string | null }>;
}

const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

export function emptyCounters(): Counters {
  return { sent: { ocpp: 0, ocpi: 0, malformed: 0 }, out: { analytics: 0, roaming: 0, quarantine: 0 }, byReason: {}, recipients: {} };
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}…` : text + ' '.repeat(width - text.length);
}

export function renderPair(pair: Pair, color: boolean): string {
  const c = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const ins = pair.raw.map((r) => `${r.kind}=${r.raw}`).join(' ');
  const outs = pair.tokens.map((t) => `${t.kind}:${t.token ?? t.status}`).join(' ');
  return `${c(DIM, pad(pair.message, 28))} ${c(YELLOW, pad(ins, 44))} → ${c(GREEN, outs)}`;
}

export function render(counters: Counters, pairs: readonly Pair[], elapsedS: number, rate: number, color: boolean): string {
  const c = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const sent = counters.sent.ocpp + counters.sent.ocpi;
  const reasons = Object.entries(counters.byReason).sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${r} ${n}`).join(', ') || '-';
  const recipients = Object.entries(counters.recipients).sort(([, a], [, b]) => b - a).map(([r, n]) => `${r} ${n}`).join(', ') || '-';
  return [
    c(BOLD, `ampseal demo  ${elapsedS.toFixed(0)} s  (synthetic data, seeded)`),
    '',
    `${c(BOLD, 'in ')}  raw events ${sent}  (OCPP ${counters.sent.ocpp}, OCPI ${counters.sent.ocpi}, of which malformed ${counters.sent.malformed})  ~${rate.toFixed(0)}/s`,
    `${c(BOLD, 'out')}  analytics ${counters.out.analytics} (Avro, registry)   roaming ${counters.out.roaming}   quarantine ${counters.out.quarantine}`,
    `     roaming by recipient: ${recipients}`,
    `     quarantine by reason: ${reasons}`,
    '',
    c(BOLD, 'identifiers in  →  tokens out (analytics)'),
    ...pairs.map((p) => renderPair(p, color)),
  ].join('\n');
}
