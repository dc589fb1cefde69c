package destination.mailmodo.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The start-up check over the shipped application.properties, one setting changed at a time. */
class SettingsCheckTest {

    private static Config shippedWith(Map<String, String> changes) throws IOException {
        Properties shipped = new Properties();
        try (InputStream in = SettingsCheckTest.class.getClassLoader().getResourceAsStream("application.properties")) {
            shipped.load(in);
        }
        Map<String, String> values = new HashMap<>();
        shipped.stringPropertyNames().stream().filter(name -> !name.startsWith("%")).forEach(name -> values.put(name, shipped.getProperty(name)));
        values.put("destination.data-dir", "target/settings-check-data");
        values.putAll(changes);
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(values, "under-test", 100)).build();
    }

    @Test
    void theShippedDefaultsAreValid() throws IOException {
        assertEquals(List.of(), SettingsCheck.problems(shippedWith(Map.of())));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            destination.path            | destinations/mailmodo | invalid setting destination.path: must be a path starting with /, got "destinations/mailmodo"
            mailmodo.base-url           | ftp://api.example     | invalid setting mailmodo.base-url: must be an http(s) URL with a host and no query, got "ftp://api.example"
            mailmodo.base-url           | api.mailmodo.com      | invalid setting mailmodo.base-url: must be an http(s) URL with a host and no query, got "api.mailmodo.com"
            mailmodo.base-url           | https://x.test/v1?a=b | invalid setting mailmodo.base-url: must be an http(s) URL with a host and no query, got "https://x.test/v1?a=b"
            mailmodo.base-url           | '  '                  | invalid setting mailmodo.base-url: must be set
            mailmodo.list-name          | '  '                  | invalid setting mailmodo.list-name: must be set
            mailmodo.rate-limit         | 0                     | invalid setting mailmodo.rate-limit: must be a whole number of at least 1, got "0"
            mailmodo.rate-limit         | ten                   | invalid setting mailmodo.rate-limit: must be a whole number of at least 1, got "ten"
            destination.max-in-flight   | -5                    | invalid setting destination.max-in-flight: must be a whole number of at least 1, got "-5"
            mailmodo.identify.batch     | treu                  | invalid setting mailmodo.identify.batch: must be true or false, got "treu"
            mailmodo.identify.linger    | -PT0.1S               | invalid setting mailmodo.identify.linger: must be a duration of zero or more, such as PT10M, got "-PT0.1S"
            mailmodo.timeout            | PT0S                  | invalid setting mailmodo.timeout: must be a positive duration, such as PT1.2S, got "PT0S"
            mailmodo.connect-timeout    | soon                  | invalid setting mailmodo.connect-timeout: must be a positive duration, such as PT1.2S, got "soon"
            mailmodo.timeout            | PT3.2S                | invalid setting destination.request-budget: must be longer than mailmodo.connect-timeout + mailmodo.timeout (one Mailmodo attempt), got PT3.5S
            destination.request-budget  | -PT1S                 | invalid setting destination.request-budget: must be a positive duration, such as PT1.2S, got "-PT1S"
            destination.unknown-user-grace | -PT1M              | invalid setting destination.unknown-user-grace: must be a duration of zero or more, such as PT10M, got "-PT1M"
            destination.dedupe-ttl      | P                     | invalid setting destination.dedupe-ttl: must be a positive duration, such as PT1.2S, got "P"
            destination.dedupe-lease    | PT48H                 | invalid setting destination.dedupe-lease: must be shorter than destination.dedupe-ttl, got PT48H
            destination.contact-cache-ttl | -PT5S              | invalid setting destination.contact-cache-ttl: must be a duration of zero or more, such as PT10M, got "-PT5S"
            destination.contact-cache-size | many               | invalid setting destination.contact-cache-size: must be a whole number of at least 0, got "many"
            destination.dead-letter-ttl | 0                     | invalid setting destination.dead-letter-ttl: must be a positive duration, such as PT1.2S, got "0"
            destination.housekeeping-interval | PT0S            | invalid setting destination.housekeeping-interval: must be a positive duration, such as PT1.2S, got "PT0S"
            mailmodo.api-key            | mm-secret-value       | invalid setting destination.inbound-token: mailmodo.api-key and destination.inbound-token must be set together (fixed-key mode) or both left unset
            destination.inbound-token   | secret-token-value    | invalid setting mailmodo.api-key: mailmodo.api-key and destination.inbound-token must be set together (fixed-key mode) or both left unset
            destination.store           | mysql                 | invalid setting destination.store: must be embedded or postgresql, got "mysql"
            destination.store           | postgresql            | invalid setting destination.store.url: must be set (a jdbc:postgresql: URL) when destination.store=postgresql
            destination.data-dir        | /proc/not-here        | invalid setting destination.data-dir: must be a writable directory, got "/proc/not-here"
            """)
    void anInvalidSettingIsOneLineNamingIt(String setting, String value, String expected) throws IOException {
        assertEquals(List.of(expected), SettingsCheck.problems(shippedWith(Map.of(setting, value))));
    }

    @Test
    void aPostgresqlUrlIsCheckedWithoutPrintingIt() throws IOException {
        assertEquals(List.of("invalid setting destination.store.url: must be a jdbc:postgresql: URL"),
                SettingsCheck.problems(shippedWith(Map.of("destination.store", "postgresql",
                        "destination.store.url", "postgres://admin:hunter2@db/mailmodo"))));
        assertEquals(List.of(), SettingsCheck.problems(shippedWith(Map.of("destination.store", "PostgreSQL",
                "destination.store.url", "jdbc:postgresql://127.0.0.1:5432/mailmodo"))));
    }

    @Test
    void quarkusShortDurationsAreAccepted() throws IOException {
        assertEquals(List.of(), SettingsCheck.problems(shippedWith(Map.of("mailmodo.timeout", "800ms", "destination.dedupe-ttl", "2h"))));
    }

    @Test
    void everyInvalidSettingIsReported() throws IOException {
        assertEquals(List.of("invalid setting mailmodo.rate-limit: must be a whole number of at least 1, got \"0\"",
                "invalid setting destination.max-in-flight: must be a whole number of at least 1, got \"0\""),
                SettingsCheck.problems(shippedWith(Map.of("mailmodo.rate-limit", "0", "destination.max-in-flight", "0"))));
    }
}
