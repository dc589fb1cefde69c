package destination.mailmodo.e2e;

import java.util.UUID;

/**
 * Mailmodo API keys used by tests: unique per test so WireMock requests can be told apart, and all with one
 * prefix so the log check (LogHygieneIT) can prove no key, nor its base64 in a Basic header, was logged.
 */
public final class TestKeys {

    public static final String PREFIX = "mmkey-test-";

    private TestKeys() {
    }

    public static String fresh() {
        return PREFIX + UUID.randomUUID().toString().substring(0, 18).toUpperCase();
    }
}
