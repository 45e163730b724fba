import { isKafkajsNegativeTimeout } from './negative-timeout';

describe("kafkajs' negative request-queue timer on Node.js 24", () => {
  const kafkajsStack = [
    'Error',
    '    at new Timeout (node:internal/timers:233:17)',
    '    at setTimeout (node:timers:125:19)',
    '    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)',
  ].join('\n');

  it('drops the TimeoutNegativeWarning raised from inside kafkajs', () => {
    expect(isKafkajsNegativeTimeout('TimeoutNegativeWarning', kafkajsStack)).toBe(true);
  });

  it('keeps a negative timeout of anyone else, and any other warning from kafkajs', () => {
    expect(isKafkajsNegativeTimeout('TimeoutNegativeWarning', 'Error\n    at retry (/app/services/kafka/dist/producer.js:41:7)')).toBe(false);
    expect(isKafkajsNegativeTimeout('DeprecationWarning', kafkajsStack)).toBe(false);
    expect(isKafkajsNegativeTimeout(undefined, kafkajsStack)).toBe(false);
  });
});
