// Feasibility of @platformatic/kafka 2.12.1 for ampseal's transactional pipeline (issue 15), against a plaintext broker
// (KAFKA=host:port, default 127.0.0.1:9092): `node services/kafka-platformatic/feasibility/feasibility.mjs`.
// Consumes with a group, commits one transaction holding outputs and the consumed offset (TxnOffsetCommit with the
// group's generation and member id), aborts a second, fences a zombie with a second producer of the same
// transactional id, and reads the output read_committed. What it showed on Kafka 4.4 (01:05 UTC 2026-11-30):
// - everything the pipeline needs is there (Transaction.addConsumer / addOffset carry the group metadata);
// - with NO_WORKAROUND=1 the second producer's InitProducerId is refused PRODUCER_FENCED (the library sends
//   producer id 0 epoch 0, not -1/-1): the adapter passes -1/-1;
// - the read_committed reader sees tx2's aborted records (the library keeps one aborted range per producer and
//   fetch): the adapter re-filters every fetch (src/aborted-transactions.ts). A script, not a test: run by hand.
import { Admin, Consumer, Producer, FetchIsolationLevels, stringSerializers } from '@platformatic/kafka';
const brokers = [process.env.KAFKA ?? '127.0.0.1:9092'];
const run = Date.now().toString(36);
const IN = `feas-in-${run}`, OUT = `feas-out-${run}`, GROUP = `feas-g-${run}`, TXID = `feas-tx-${run}`;
const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);
const admin = new Admin({ clientId: 'feas', bootstrapBrokers: brokers });
await admin.createTopics({ topics: [IN, OUT], partitions: 1, replicas: 1 });
const plain = new Producer({ clientId: 'feas-p', bootstrapBrokers: brokers, serializers: stringSerializers });
await plain.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: IN, key: `k${i}`, value: `v${i}`, partition: 0 })) });
log('produced 10 inputs');

const consumer = new Consumer({ clientId: 'feas-c', groupId: GROUP, bootstrapBrokers: brokers, isolationLevel: FetchIsolationLevels.READ_COMMITTED, autocommit: false, maxWaitTime: 100 });
const stream = await consumer.consume({ topics: [IN], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
const got = [];
for await (const m of stream) { got.push(m); if (got.length === 10) break; }
log('consumed', got.length, 'generation', consumer.generationId, 'member', consumer.memberId, 'metadata', JSON.stringify(got[4].metadata.consumer ?? null));

const tp = new Producer({ clientId: 'feas-t', bootstrapBrokers: brokers, transactionalId: TXID, idempotent: true, serializers: stringSerializers });
// transaction 1: outputs of records 0..4, offset after record 4, committed
let tx = await tp.beginTransaction();
await tx.send({ messages: got.slice(0, 5).map((m) => ({ topic: OUT, key: 'a', value: `out-${m.offset}`, partition: 0 })) });
await tx.addConsumer(consumer);
await tx.addOffset(got[4]);
await tx.commit();
log('tx1 committed (TxnOffsetCommit with group', consumer.groupId, 'generation', consumer.generationId, ')');
// transaction 2: outputs of records 5..9, aborted
tx = await tp.beginTransaction();
await tx.send({ messages: got.slice(5).map((m) => ({ topic: OUT, key: 'b', value: `aborted-${m.offset}`, partition: 0 })) });
await tx.addConsumer(consumer);
await tx.addOffset(got[9]);
await tx.abort();
log('tx2 aborted');
const committed = await consumer.listCommittedOffsets({ topics: [{ topic: IN, partitions: [0] }] });
log('committed offset of the group after commit+abort:', committed.get(IN));

// zombie fencing: a second producer with the same transactional id
const tx3 = await tp.beginTransaction();
await tx3.send({ messages: [{ topic: OUT, key: 'z', value: 'zombie', partition: 0 }] });
const tp2 = new Producer({ clientId: 'feas-t2', bootstrapBrokers: brokers, transactionalId: TXID, idempotent: true, serializers: stringSerializers });
let tx4;
for (let i = 0; ; i++) { try { tx4 = await tp2.beginTransaction(process.env.NO_WORKAROUND ? {} : { producerId: -1n, producerEpoch: -1 }); break; } catch (e) { log('second producer InitProducerId failed, attempt', i, chain(e)); if (i > 5) throw e; await new Promise((r) => setTimeout(r, 500)); } }
log('second producer began: epoch', tp2.producerEpoch, 'vs zombie epoch', tp.producerEpoch);
try { await tx3.send({ messages: [{ topic: OUT, key: 'z', value: 'zombie2', partition: 0 }] }); await tx3.commit(); log('ZOMBIE COMMITTED (bad)'); }
catch (e) { log('zombie refused:', e.constructor.name, e.code, chain(e)); }
await tx4.send({ messages: [{ topic: OUT, key: 'n', value: 'new-owner', partition: 0 }] });
await tx4.commit();
log('new owner committed');

// read_committed reader of OUT
const reader = new Consumer({ clientId: 'feas-r', groupId: `${GROUP}-r`, bootstrapBrokers: brokers, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 100 });
const rs = await reader.consume({ topics: [OUT], mode: 'earliest', autocommit: false });
const seen = [];
const timer = setTimeout(() => rs.close(), 3000);
for await (const m of rs) { seen.push(m.value.toString()); }
clearTimeout(timer);
log('read_committed sees:', seen.join(','));
await Promise.allSettled([stream.close(), consumer.close(), reader.close(), tp.close(true), tp2.close(), plain.close()]);
await admin.deleteTopics({ topics: [IN, OUT] });
await admin.close();
function chain(e) { const out = []; for (let x = e; x && out.length < 6; x = x.cause ?? x.errors?.[0]) out.push(`${x.constructor.name}:${x.code ?? ''}:${x.apiId ?? ''}:${x.errorCode ?? ''}`); return out.join(' <- '); }
