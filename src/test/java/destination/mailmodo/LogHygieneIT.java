package destination.mailmodo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs after every test of the build (failsafe, after surefire, the last *IT) over the logs the whole test run
 * wrote: the surefire runs (DEBUG for our code and Camel, every path: errors, dead letters, replay, outages), the
 * packaged application under {@code @QuarkusIntegrationTest}, and each packaged launch of the other *ITs (plain
 * and JSON lines). No API key, no Basic credential carrying one, no token, no email, no trait value.
 */
@Order(Integer.MAX_VALUE)
class LogHygieneIT {

    private static final String KEY_PREFIX = "mmkey-test-";
    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");

    @Test
    void testRunLogHoldsNoSecretsNorPersonalData() throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            logs = files.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith("quarkus-test.log") || name.startsWith("quarkus-it.log") || name.startsWith("packaged-") && name.endsWith(".log");
            }).toList();
        }
        assertTrue(!logs.isEmpty(), "the test run wrote no log under target/");
        String keyBase64 = Base64.getEncoder().encodeToString(KEY_PREFIX.substring(0, 9).getBytes(StandardCharsets.US_ASCII));
        // the fixed-key test sends its token as a Basic username too
        String tokenBase64 = Base64.getEncoder().encodeToString("inbound-token-test".substring(0, 15).getBytes(StandardCharsets.US_ASCII));
        List<String> forbidden = List.of(KEY_PREFIX, keyBase64, "inbound-token-test", tokenBase64, "Monopoly", "Bob Dole", "Initech", "Hooli", "Gavin");
        List<String> findings = new ArrayList<>();
        long outcomeLines = 0;
        for (Path log : logs) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (String line : lines) {
                if (line.contains("outcome messageId=")) {
                    outcomeLines++;
                }
                for (String secret : forbidden) {
                    if (line.contains(secret)) {
                        findings.add(log.getFileName() + ": contains " + secret + ": " + clip(line));
                    }
                }
                Matcher email = EMAIL.matcher(line);
                if (email.find()) {
                    findings.add(log.getFileName() + ": email-like text: " + clip(line));
                }
            }
        }
        assertTrue(outcomeLines > 50, "expected the outcome lines of the whole run, found " + outcomeLines);
        assertTrue(findings.isEmpty(), findings.size() + " leaks, first ones:\n" + String.join("\n", findings.subList(0, Math.min(10, findings.size()))));
    }

    private static String clip(String line) {
        return line.length() > 300 ? line.substring(0, 300) : line;
    }
}
