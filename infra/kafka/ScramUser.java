// Creates or updates a SCRAM user on a running cluster (the launcher runs it with `java ScramUser.java`, the
// source-file launcher, on Kafka's own classpath). Needed once for a data directory formatted before the launcher
// added SCRAM users at format time (`kafka-storage format --add-scram`); kafka-tools is not on our classpath.
// Usage: ScramUser <bootstrap> <user> <password-file>
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

public class ScramUser {
  public static void main(String[] args) throws Exception {
    String password = Files.readString(Path.of(args[2])).trim();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", args[0]))) {
      // One request per mechanism: the broker refuses two changes to one user in the same request.
      for (ScramMechanism mechanism : List.of(ScramMechanism.SCRAM_SHA_512, ScramMechanism.SCRAM_SHA_256)) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(args[1], new ScramCredentialInfo(mechanism, 8192), password)))
            .all().get();
      }
    }
  }
}
