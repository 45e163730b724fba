import { createLogger } from '@ampseal/service-kit';
import { AuditLog } from './audit-log';

const entry = (status: number) => ({ operator: 'alice', remote: '127.0.0.1', method: 'GET', route: '/x', status });

describe('the audit log kept for the console', () => {
  it('pages newest first', () => {
    const log = new AuditLog(createLogger({ level: 'silent', name: 'audit-test' }), 10);
    for (let i = 1; i <= 5; i++) log.record(entry(i));
    expect(log.page(0, 2).entries.map((e) => e.status)).toEqual([5, 4]);
    expect(log.page(2, 2).entries.map((e) => e.status)).toEqual([3, 2]);
    expect(log.page(4, 2)).toMatchObject({ total: 5 });
    expect(log.page(4, 2).entries.map((e) => e.status)).toEqual([1]);
  });

  it('keeps at most its capacity, dropping the oldest', () => {
    const log = new AuditLog(createLogger({ level: 'silent', name: 'audit-test' }), 3);
    for (let i = 1; i <= 7; i++) log.record(entry(i));
    expect(log.page(0, 10)).toMatchObject({ total: 3 });
    expect(log.page(0, 10).entries.map((e) => e.status)).toEqual([7, 6, 5]);
  });
});
