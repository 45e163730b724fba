import { describeKeyRingConformance } from '@ampseal/keyring/dist/conformance';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { openRedisConformanceStore } from './redis-conformance-store';

/** The key-ring conformance suite (services/keyring/src/conformance.ts) over Redis + local-kms. */
const resources = useResources();
const redis = redisClient(resources);

describeKeyRingConformance('Redis + local-kms', () => openRedisConformanceStore(resources, redis));
