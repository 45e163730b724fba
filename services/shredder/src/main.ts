import { runService } from '@ampseal/service-kit';
import { createShredder } from './service';

/** `ampseal run shredder`. */
export function runShredder(env: NodeJS.ProcessEnv): Promise<void> {
  return runService('shredder', env, createShredder, { groupId: 'ampseal-shredder' });
}
