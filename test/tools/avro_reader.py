"""Independent reader: Confluent's own Python client (librdkafka + fastavro + its schema-registry client)
decodes an ampseal analytics topic, proving the records are plain Confluent wire format any consumer reads.

usage: avro_reader.py BROKERS REGISTRY_URL TOPIC COUNT   -> COUNT JSON lines on stdout
"""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def progress(started: float, what: str) -> None:
    """Where the reader is, on stderr: a caller that times it out sees how far it got."""
    print(f"[avro_reader +{time.monotonic() - started:.1f} s] {what}", file=sys.stderr, flush=True)


def decode(deserialize, value, context, started: float, attempts: int = 4):
    """A record decoded, its schema asked of the registry again after a timed-out or failed request (at most `attempts`)."""
    for attempt in range(1, attempts + 1):
        try:
            return deserialize(value, context)
        except Exception as err:  # the registry client raises its own and httpx's errors alike
            if attempt == attempts:
                raise
            progress(started, f"schema lookup failed ({type(err).__name__}), asking again ({attempt} of {attempts - 1})")
            time.sleep(1)


def main() -> int:
    brokers, registry_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = time.monotonic()
    # The client's default is no request timeout: a registry that stalls once (seen in CI: the reader hung at its first
    # schema lookup until the harness killed it at 90 s) would hang the read. 10 s a request, then asked again.
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url, "timeout": 10}))
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"independent-reader-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    # Assign every partition from the beginning: no group rebalance to wait for.
    partitions = consumer.list_topics(topic, timeout=20).topics[topic].partitions
    progress(started, f"metadata: {len(partitions)} partition(s)")
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    seen, idle = 0, 0
    try:
        while seen < count and idle < 80:
            msg = consumer.poll(0.5)
            if msg is None:
                idle += 1
                continue
            if msg.error():
                raise RuntimeError(str(msg.error()))
            if seen == 0:
                progress(started, "first record fetched, decoding (the registry is asked for its schema)")
            record = decode(deserialize, msg.value(), SerializationContext(topic, MessageField.VALUE), started)
            print(json.dumps({"schema_id": int.from_bytes(msg.value()[1:5], "big"), "record": record}, default=str), flush=True)
            seen += 1
        progress(started, f"read {seen} of {count} record(s), {idle} empty poll(s): closing")
    finally:
        consumer.close()
    progress(started, "closed")
    return 0 if seen == count else 1


if __name__ == "__main__":
    sys.exit(main())
