import { runService } from '@ampseal/service-kit';
import { createPseudonymizer } from './service';

/** `ampseal run pseudonymizer`. */
export function runPseudonymizer(env: NodeJS.ProcessEnv): Promise<void> {
  return runService('pseudonymizer', env, createPseudonymizer);
}
