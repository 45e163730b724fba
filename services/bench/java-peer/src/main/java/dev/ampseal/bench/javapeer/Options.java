package dev.ampseal.bench.javapeer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The copy loop's command line: {@code --name value} pairs, every one required. The bench (java-peer.ts) builds
 * it; there is no default to fall back on, so a missing value is a usage error rather than a silent guess.
 */
final class Options {
  final String bootstrapServers;
  final String groupId;
  final List<String> inputs;
  final String output;
  final String transactionalId;
  /** The pipeline's chunk (AMPSEAL_MAX_RECORDS_PER_TRANSACTION): at most this many records per poll, so per transaction. */
  final int maxPollRecords;
  /** Input records to cover with committed offsets before the loop ends on its own. */
  final long expected;

  private Options(Map<String, String> values) {
    bootstrapServers = required(values, "bootstrap-servers");
    groupId = required(values, "group");
    inputs = Arrays.asList(required(values, "inputs").split(","));
    output = required(values, "output");
    transactionalId = required(values, "transactional-id");
    maxPollRecords = Integer.parseInt(required(values, "max-poll-records"));
    expected = Long.parseLong(required(values, "expected"));
    if (maxPollRecords < 1 || expected < 0) throw new IllegalArgumentException("--max-poll-records must be positive and --expected not negative");
  }

  static Options parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
      values.put(args[i].substring(2), args[i + 1]);
    }
    return new Options(values);
  }

  private static String required(Map<String, String> values, String name) {
    String value = values.get(name);
    if (value == null || value.isEmpty()) throw new IllegalArgumentException("missing --" + name);
    return value;
  }
}
