/**
 * A small, fast, seeded PRNG and the picks the generator needs. sfc32 (Chris Doty-Humphrey's Small Fast Counter,
 * PractRand-clean to 2^40+ bytes) because it is four 32-bit adds/xors/rotates per draw: Math.random cannot be
 * seeded, and the benchmark needs the same stream for the same seed on every machine and Node version.
 */

const HEX = '0123456789ABCDEF';
const HEX_LOWER = '0123456789abcdef';
/** Two hex digits per byte: a UUID is 16 concatenations instead of 32. */
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);
const BYTE_HEX_LOWER = Array.from({ length: 256 }, (_, i) => HEX_LOWER[i >> 4]! + HEX_LOWER[i & 15]!);
const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finalizer: spreads every input bit over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @param seed any safe integer (negative and above 2^32 too: both halves feed the state).
   * @param stream an independent sub-stream of the same seed (population, traffic, malformed records).
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be a safe integer');
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.a = fmix32(lo ^ 0x9e3779b9);
    this.b = fmix32(hi ^ 0x243f6a88);
    this.c = fmix32((stream ^ 0xb7e15162) >>> 0);
    this.d = 1;
    // The first outputs of a fresh sfc32 state are correlated with the seed; the reference warms up 12 rounds.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Standard normal (Box–Muller; the second value is dropped to keep the stream simple). */
  gaussian(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /** `length` upper-case hex digits. */
  hex(length: number): string {
    return this.hexDigits(length, BYTE_HEX, HEX);
  }

  /** `length` lower-case hex digits. */
  hexLower(length: number): string {
    return this.hexDigits(length, BYTE_HEX_LOWER, HEX_LOWER);
  }

  /** `length` decimal digits (leading zeros kept). */
  digits(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(48 + Math.floor(this.float() * 10));
    return out;
  }

  /** `length` characters drawn from `alphabet`. */
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.float() * alphabet.length)];
    return out;
  }

  /** An RFC 4122 version-4 UUID, lower case, from this stream (not crypto.randomUUID: it must be seeded). */
  uuid(): string {
    const a = this.hexLower(8);
    const b = this.hexLower(4);
    const c = this.hexLower(3);
    const d = HEX_LOWER[8 + (this.uint32() & 3)]! + this.hexLower(3);
    const e = this.hexLower(12);
    return `${a}-${b}-4${c}-${d}-${e}`;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  private hexDigits(length: number, bytes: readonly string[], digits: string): string {
    // Hex strings are on the hot path (UUID message ids): four bytes per 32-bit draw, two digits per lookup.
    let out = '';
    let i = 0;
    for (; i + 8 <= length; i += 8) {
      const word = this.uint32();
      out += bytes[word & 255]! + bytes[(word >>> 8) & 255]! + bytes[(word >>> 16) & 255]! + bytes[word >>> 24]!;
    }
    if (i < length) {
      let word = this.uint32();
      for (; i < length; i++) {
        out += digits[word & 15];
        word >>>= 4;
      }
    }
    return out;
  }
}

/** A seeded stream; `stream` selects an independent sub-stream of the same seed. */
export function createRandom(seed: number, stream = 0): Random {
  return new Random(seed, stream);
}

/** A weighted choice compiled once: cumulative weights, linear scan (the tables here have under 20 entries). */
export interface WeightedPick<T> {
  pick(rng: Random): T;
  readonly items: readonly T[];
}

export function weighted<T>(entries: readonly (readonly [T, number])[]): WeightedPick<T> {
  if (entries.length === 0) throw new RangeError('weighted() needs at least one entry');
  const items = entries.map(([item]) => item);
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, weight], i) => {
    if (!(weight >= 0)) throw new RangeError('weights must be non-negative');
    total += weight;
    cumulative[i] = total;
  });
  if (total <= 0) throw new RangeError('weights must not all be zero');
  const last = entries.length - 1;
  return {
    items,
    pick(rng) {
      const x = rng.float() * total;
      for (let i = 0; i < last; i++) if (x < cumulative[i]!) return items[i]!;
      return items[last]!;
    },
  };
}

/** A rank pick over 0..n-1 where low ranks are drawn more often. */
export interface RankPick {
  pick(rng: Random): number;
  /** Probability of each rank (for tests and docs). */
  probability(rank: number): number;
  readonly size: number;
}

export interface ZipfOptions {
  /** Zipf exponent s. Default 1.5. */
  exponent?: number;
  /** Mandelbrot offset q as a share of n (flattens the head). Default 0.1. */
  offsetShare?: number;
}

/**
 * Zipf–Mandelbrot ranks: weight(k) = (k + 1 + q)^-s. Plain Zipf (q = 0) gives the top card an absurd share
 * (at n = 10,000, s = 1 the first card would charge ~10% of all sessions); with q = 0.1·n and s = 1.5 the top
 * 20% of ranks get ~60% of the draws (the usual "20% of drivers make 60% of sessions") and the heaviest driver
 * charges ~7× as often as the average one. Inverse CDF by binary search: O(log n) per pick, O(n) memory.
 */
export function zipf(n: number, options: ZipfOptions = {}): RankPick {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('zipf() needs n ≥ 1');
  const s = options.exponent ?? 1.5;
  const q = (options.offsetShare ?? 0.1) * n;
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += Math.pow(k + 1 + q, -s);
    cdf[k] = total;
  }
  for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / total;
  cdf[n - 1] = 1;
  return {
    size: n,
    probability(rank) {
      return rank === 0 ? cdf[0]! : cdf[rank]! - cdf[rank - 1]!;
    },
    pick(rng) {
      const x = rng.float();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
  };
}
