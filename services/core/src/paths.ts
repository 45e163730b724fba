import * as path from 'node:path';

/** The built-in audience policy, shipped with the package (services/core/policies/default.yaml). */
export const DEFAULT_POLICY_FILE = path.join(__dirname, '..', 'policies', 'default.yaml');
