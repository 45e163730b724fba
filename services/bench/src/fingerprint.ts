/**
 * An order-free fingerprint of a multiset of records (key and value bytes): the record count, the value bytes,
 * and two sums, modulo 2^32, of two different 32-bit hashes of each record. A copy that lost one record and
 * duplicated another has the same count, and almost surely not the same sums; a reordered copy (outputs land in
 * other partitions, in another order) has the same fingerprint. The Java peer's output is checked this way
 * against the input, without keeping the input records in memory. Pure.
 */
export interface Fingerprint {
  readonly records: number;
  readonly bytes: number;
  readonly fnv: number;
  readonly poly: number;
}

export class FingerprintBuilder {
  private records = 0;
  private bytes = 0;
  private fnv = 0;
  private poly = 0;

  add(key: Uint8Array | null, value: Uint8Array | null): void {
    // FNV-1a and a base-31 polynomial hash; a marker byte between key and value keeps (ab, c) apart from (a, bc).
    let h1 = 0x811c9dc5;
    let h2 = 7;
    const mix = (b: number) => {
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = (Math.imul(h2, 31) + b) | 0;
    };
    if (key) for (let i = 0; i < key.length; i++) mix(key[i]!);
    mix(key ? 0x100 : 0x101);
    if (value) for (let i = 0; i < value.length; i++) mix(value[i]!);
    this.fnv = (this.fnv + (h1 >>> 0)) >>> 0;
    this.poly = (this.poly + (h2 >>> 0)) >>> 0;
    this.records++;
    this.bytes += value?.length ?? 0;
  }

  result(): Fingerprint {
    return { records: this.records, bytes: this.bytes, fnv: this.fnv, poly: this.poly };
  }
}

export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.records === b.records && a.bytes === b.bytes && a.fnv === b.fnv && a.poly === b.poly;
}
