import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A signed-in operator: who, the form token every POST must carry, and when the session ends. */
export interface ConsoleSession {
  readonly operator: string;
  /** The per-session form token (CSRF): sent in each form, compared in constant time. */
  readonly formToken: string;
  readonly expiresAt: number;
}

/** 32 random bytes, base64url: a session id no one guesses, and a form token likewise. */
function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** Stored by the SHA-256 of the id: a heap dump or a debugger shows no usable cookie. */
function key(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/**
 * The console's sessions, in memory (per instance: an operator signs in again after a restart or on another
 * replica). Bounded twice: each session ends `lifetimeMs` after sign-in whatever it does (no sliding renewal, so a
 * stolen cookie is worth an hour at most by default), and at most `capacity` live at once, the oldest signed out first,
 * so a client signing in in a loop cannot grow the store.
 */
export class SessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly capacity = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session for `operator`: the cookie value (the only copy of the id) and the session. */
  create(operator: string): { readonly id: string; readonly session: ConsoleSession } {
    this.sweep();
    const id = secret();
    const session = { operator, formToken: secret(), expiresAt: this.now() + this.lifetimeMs };
    this.sessions.set(key(id), session);
    while (this.sessions.size > this.capacity) this.sessions.delete(this.sessions.keys().next().value!);
    return { id, session };
  }

  /** The live session of a cookie value, or undefined (unknown, expired: an expired one is dropped now). */
  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined || id.length === 0 || id.length > 100) return undefined;
    const k = key(id);
    const session = this.sessions.get(k);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(k);
      return undefined;
    }
    return session;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(key(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Drops expired sessions (insertion order is expiry order: every session lives equally long). */
  private sweep(): void {
    const now = this.now();
    for (const [k, s] of this.sessions) {
      if (s.expiresAt > now) break;
      this.sessions.delete(k);
    }
  }
}

/** Whether a posted form token is this session's, compared in constant time. */
export function formTokenMatches(session: ConsoleSession, posted: string | null | undefined): boolean {
  if (typeof posted !== 'string') return false;
  const a = Buffer.from(session.formToken);
  const b = Buffer.from(posted);
  return a.length === b.length && timingSafeEqual(a, b);
}
