import { redisClient } from '../harness/clients';
import { uniqueName, useResources } from '../harness/resources';

const resources = useResources();

describe('Redis (real server)', () => {
  it('stores and reads back a value, with AOF persistence switched on', async () => {
    const redis = redisClient(resources);
    const key = uniqueName('smoke:redis');
    await redis.set(key, 'wrapped-key-bytes', 'EX', 60);
    expect(await redis.get(key)).toBe('wrapped-key-bytes');
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await redis.del(key);
    expect(await redis.exists(key)).toBe(0);
  });
});
