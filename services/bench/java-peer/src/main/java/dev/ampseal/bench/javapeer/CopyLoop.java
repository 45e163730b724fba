package dev.ampseal.bench.javapeer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmark's Java peer: what a Java shop would write to copy topics exactly once with Kafka's own client.
 * One consumer (read_committed, its own group, no auto-commit) and one transactional producer; per poll of up to
 * {@code max.poll.records} records: begin, send each record to the output topic, add the consumer's offsets to
 * the transaction with its group metadata, commit. Client defaults otherwise, except what a fresh group needs
 * to read the input from its start (auto.offset.reset=earliest).
 *
 * <p>Talks to the bench by lines of JSON on stdout: {@code ready} once the group assigned the partitions, then one
 * {@code done} line with what it did. The loop ends on its own when its committed offsets cover {@code --expected}
 * input records (early on "stop" or end of stdin); the clients close, and the process then waits, idle, for
 * "stop" or the end of stdin before it exits, so the bench reads its CPU time and memory from /proc while it is
 * still there, and it never outlives the bench.
 */
public final class CopyLoop {
  private static final Duration POLL = Duration.ofMillis(100);

  private CopyLoop() {}

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("java-peer: " + e.getMessage());
      System.exit(2);
      return;
    }
    AtomicBoolean stop = new AtomicBoolean(false);
    CountDownLatch stdinClosed = new CountDownLatch(1);
    int code = run(options, stop, stdinClosed);
    stdinClosed.await();
    System.exit(code);
  }

  private static int run(Options options, AtomicBoolean stop, CountDownLatch stdinClosed) {
    AtomicBoolean ready = new AtomicBoolean(false);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig(options));
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(options))) {
      watchStdin(stop, stdinClosed, consumer);
      producer.initTransactions();
      consumer.subscribe(options.inputs, new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          if (!partitions.isEmpty() && ready.compareAndSet(false, true)) emit("{\"event\":\"ready\",\"partitions\":" + partitions.size() + "}");
        }
      });

      Map<TopicPartition, Long> committed = new HashMap<>();
      long covered = 0;
      long records = 0;
      long bytes = 0;
      long transactions = 0;
      long aborted = 0;
      long firstRecordNs = 0;
      long lastCommitNs = 0;
      while (covered < options.expected && !stop.get()) {
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(POLL);
        } catch (WakeupException e) {
          break;
        }
        if (polled.isEmpty()) continue;
        if (firstRecordNs == 0) firstRecordNs = System.nanoTime();

        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        long chunkBytes = 0;
        try {
          producer.beginTransaction();
          for (ConsumerRecord<byte[], byte[]> r : polled) {
            producer.send(new ProducerRecord<>(options.output, r.key(), r.value()));
            if (r.value() != null) chunkBytes += r.value().length;
          }
          for (TopicPartition tp : polled.partitions()) {
            var list = polled.records(tp);
            offsets.put(tp, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
          }
          producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
          producer.commitTransaction();
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException | UnsupportedVersionException e) {
          // Fatal for this producer: a copier that went on would no longer be exactly once.
          throw e;
        } catch (KafkaException e) {
          // The chunk's outputs and offsets are dropped together; read it again from the group's committed offsets.
          producer.abortTransaction();
          aborted++;
          rewind(consumer);
          System.err.println("java-peer: transaction aborted, chunk read again: " + e);
          continue;
        }
        lastCommitNs = System.nanoTime();
        transactions++;
        records += polled.count();
        bytes += chunkBytes;
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
          Long before = committed.put(e.getKey(), e.getValue().offset());
          covered += e.getValue().offset() - (before == null ? 0 : before);
        }
      }
      double spanMs = firstRecordNs == 0 ? 0 : (lastCommitNs - firstRecordNs) / 1e6;
      emit(
          "{\"event\":\"" + (covered >= options.expected ? "done" : "stopped") + "\""
              + ",\"records\":" + records
              + ",\"bytes\":" + bytes
              + ",\"covered\":" + covered
              + ",\"transactions\":" + transactions
              + ",\"aborted_transactions\":" + aborted
              + ",\"first_record_to_last_commit_ms\":" + spanMs
              + ",\"max_poll_records\":" + options.maxPollRecords
              + ",\"kafka_clients\":\"" + clientVersion() + "\""
              + ",\"java\":\"" + System.getProperty("java.version") + "\""
              + ",\"max_heap_mb\":" + Runtime.getRuntime().maxMemory() / (1024 * 1024)
              + "}");
      return covered >= options.expected ? 0 : 3;
    }
  }

  private static Properties consumerConfig(Options options) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, options.groupId + "-consumer");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(options.maxPollRecords));
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  private static Properties producerConfig(Options options) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, options.groupId + "-producer");
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, options.transactionalId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /** Back to the group's committed offsets (the start of the input where none are committed yet). */
  private static void rewind(KafkaConsumer<byte[], byte[]> consumer) {
    Set<TopicPartition> assigned = consumer.assignment();
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata at = committed.get(tp);
      if (at == null) consumer.seekToBeginning(Set.of(tp));
      else consumer.seek(tp, at.offset());
    }
  }

  /** "stop" on stdin, or its end (the bench went away), ends the loop at the next poll. */
  private static void watchStdin(AtomicBoolean stop, CountDownLatch stdinClosed, KafkaConsumer<?, ?> consumer) {
    Thread watcher = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) if (line.trim().equals("stop")) break;
      } catch (IOException ignored) {
        // Same as end of input.
      }
      stop.set(true);
      try {
        consumer.wakeup();
      } catch (RuntimeException closedAlready) {
        // The loop ended first and closed the consumer: nothing to wake.
      }
      stdinClosed.countDown();
    }, "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** The kafka-clients jar's own version file (its AppInfoParser is internal API since 4.x). */
  private static String clientVersion() {
    Properties p = new Properties();
    try (var in = KafkaProducer.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }

  private static void emit(String json) {
    System.out.println(json);
    System.out.flush();
  }
}
