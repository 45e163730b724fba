import path from 'node:path';

/**
 * The repository's `schemas/` folder. From both `src/validation` (ts-node, jest) and `dist/validation` (built)
 * it is four levels up; callers that run from elsewhere (a bundled CLI, a container) pass `schemaDir`.
 */
export const DEFAULT_SCHEMA_DIR = path.resolve(__dirname, '../../../../schemas');
