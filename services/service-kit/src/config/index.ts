import { readKafkaSection, type KafkaSection } from './kafka';
import { readKeyRingSection, type KeyRingSection } from './keyring';
import { readOpsSection, type OpsSection } from './ops';
import { readPseudonymizerSection, type PseudonymizerSection } from './pseudonymizer';
import type { Env } from './read';
import { readRequestsSection, type RequestsSection } from './requests';
import { readShredderSection, type ShredderSection } from './shredder';

export type { KafkaSection, Topics } from './kafka';
export type { KeyRingSection } from './keyring';
export { parseTenantKeys, type TenantKey, type TenantKeys } from './tenant-keys';
export type { OpsSection } from './ops';
export type { PseudonymizerSection } from './pseudonymizer';
export type { RequestsSection } from './requests';
export type { AdminListener, AdminOperator, ShredderSection } from './shredder';

/**
 * All configuration, read from AMPSEAL_* variables once at start and frozen. Nothing else reads
 * process.env. A bad value stops the process with a message naming the variable and the expected form.
 * One section per part that uses it (each component takes only its section's type); the object is flat so
 * a variable has one name in code.
 */
export type Config = OpsSection & KafkaSection & KeyRingSection & PseudonymizerSection & ShredderSection & RequestsSection;

/** `defaults` lets a tool pick its own fallbacks (the CLI logs at warn unless told otherwise). */
export function loadConfig(env: Env, defaults: { logLevel?: Config['logLevel']; groupId?: string } = {}): Config {
  const ops = readOpsSection(env, defaults);
  const kafka = readKafkaSection(env, defaults);
  const keyring = readKeyRingSection(env);
  const pseudonymizer = readPseudonymizerSection(env, kafka.kafkaClient);
  const shredder = readShredderSection(env);
  const requests = readRequestsSection(env);
  return Object.freeze({ ...ops, ...kafka, ...keyring, ...pseudonymizer, ...shredder, ...requests });
}
