package destination.mailmodo.operations;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.camel.quarkus.main.events.BeforeInitialize;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Every setting of DESIGN §8b checked before anything else starts: an invalid one stops start-up with one line
 * naming it (Quarkus prints a {@link ConfigurationException} as its message alone, no stack trace).
 * Values are never printed for the secret settings.
 */
@Singleton
public class SettingsCheck {

    /** Before Camel creates the routes (and with them the beans holding settings). */
    void check(@Observes BeforeInitialize camelStarting) {
        List<String> problems = problems(ConfigProvider.getConfig());
        if (!problems.isEmpty()) {
            throw new ConfigurationException(String.join(System.lineSeparator(), problems));
        }
    }

    /** One line per invalid setting, naming it; empty when all are valid. */
    static List<String> problems(Config config) {
        Checker check = new Checker(config);
        check.path("destination.path");
        check.httpUrl("mailmodo.base-url");
        check.nonBlank("mailmodo.list-name");
        check.atLeast("mailmodo.rate-limit", 1);
        check.atLeast("destination.max-in-flight", 1);
        check.bool("mailmodo.identify.batch");
        check.notNegative("mailmodo.identify.linger");
        Optional<Duration> timeout = check.positive("mailmodo.timeout");
        Optional<Duration> connectTimeout = check.positive("mailmodo.connect-timeout");
        Optional<Duration> budget = check.positive("destination.request-budget");
        if (timeout.isPresent() && connectTimeout.isPresent() && budget.isPresent()
                && timeout.get().plus(connectTimeout.get()).compareTo(budget.get()) >= 0) {
            check.problems.add("invalid setting destination.request-budget: must be longer than mailmodo.connect-timeout + mailmodo.timeout"
                    + " (one Mailmodo attempt), got " + check.raw("destination.request-budget").orElse(""));
        }
        check.notNegative("destination.unknown-user-grace");
        Optional<Duration> dedupeTtl = check.positive("destination.dedupe-ttl");
        Optional<Duration> lease = check.positive("destination.dedupe-lease");
        if (dedupeTtl.isPresent() && lease.isPresent() && lease.get().compareTo(dedupeTtl.get()) >= 0) {
            check.problems.add("invalid setting destination.dedupe-lease: must be shorter than destination.dedupe-ttl, got "
                    + check.raw("destination.dedupe-lease").orElse(""));
        }
        if (check.raw("destination.contact-cache-ttl").isPresent()) { // unset: the store's default
            check.notNegative("destination.contact-cache-ttl");
        }
        check.atLeast("destination.contact-cache-size", 0);
        check.positive("destination.dead-letter-ttl");
        check.positive("destination.housekeeping-interval");
        check.fixedKeyPair("mailmodo.api-key", "destination.inbound-token");
        check.store("destination.store", "destination.store.url", "destination.data-dir");
        return check.problems;
    }

    private static final class Checker {
        private final Config config;
        final List<String> problems = new ArrayList<>();

        Checker(Config config) {
            this.config = config;
        }

        Optional<String> raw(String name) {
            return Optional.ofNullable(config.getConfigValue(name).getValue()).map(String::trim).filter(v -> !v.isEmpty());
        }

        private Optional<String> required(String name) {
            Optional<String> value = raw(name);
            if (value.isEmpty()) {
                problems.add("invalid setting " + name + ": must be set");
            }
            return value;
        }

        private void invalid(String name, String rule, String value) {
            problems.add("invalid setting " + name + ": " + rule + ", got \"" + value + "\"");
        }

        void path(String name) {
            required(name).filter(v -> !v.startsWith("/") || v.contains("?") || v.contains(" "))
                    .ifPresent(v -> invalid(name, "must be a path starting with /", v));
        }

        void httpUrl(String name) {
            required(name).ifPresent(v -> {
                try {
                    URI uri = new URI(v);
                    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getQuery() != null
                            || uri.getFragment() != null) {
                        invalid(name, "must be an http(s) URL with a host and no query", v);
                    }
                } catch (URISyntaxException e) {
                    invalid(name, "must be an http(s) URL with a host and no query", v);
                }
            });
        }

        void nonBlank(String name) {
            required(name);
        }

        void atLeast(String name, int minimum) {
            required(name).ifPresent(v -> {
                try {
                    if (Integer.parseInt(v) < minimum) {
                        invalid(name, "must be a whole number of at least " + minimum, v);
                    }
                } catch (NumberFormatException e) {
                    invalid(name, "must be a whole number of at least " + minimum, v);
                }
            });
        }

        void bool(String name) {
            required(name).filter(v -> !v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false"))
                    .ifPresent(v -> invalid(name, "must be true or false", v));
        }

        private Optional<Duration> duration(String name, boolean zeroAllowed) {
            Optional<String> value = required(name);
            if (value.isEmpty()) {
                return Optional.empty();
            }
            String rule = zeroAllowed ? "must be a duration of zero or more, such as PT10M" : "must be a positive duration, such as PT1.2S";
            try {
                Duration duration = DurationConverter.parseDuration(value.get());
                if (duration == null || duration.isNegative() || (!zeroAllowed && duration.isZero())) {
                    invalid(name, rule, value.get());
                    return Optional.empty();
                }
                return Optional.of(duration);
            } catch (RuntimeException e) {
                invalid(name, rule, value.get());
                return Optional.empty();
            }
        }

        Optional<Duration> positive(String name) {
            return duration(name, false);
        }

        void notNegative(String name) {
            duration(name, true);
        }

        /** Secrets: only whether they are set is reported, never their value. */
        void fixedKeyPair(String apiKey, String token) {
            if (raw(apiKey).isPresent() != raw(token).isPresent()) {
                problems.add("invalid setting " + (raw(apiKey).isPresent() ? token : apiKey) + ": " + apiKey + " and " + token
                        + " must be set together (fixed-key mode) or both left unset");
            }
        }

        void store(String kindName, String urlName, String dataDirName) {
            Optional<String> kind = required(kindName).map(v -> v.toLowerCase(Locale.ROOT));
            if (kind.isEmpty()) {
                return;
            }
            switch (kind.get()) {
                case "embedded" -> required(dataDirName).ifPresent(dir -> {
                    try {
                        Path path = Files.createDirectories(Path.of(dir));
                        if (!Files.isWritable(path)) {
                            invalid(dataDirName, "must be a writable directory", dir);
                        }
                    } catch (IOException | RuntimeException e) {
                        invalid(dataDirName, "must be a writable directory", dir);
                    }
                });
                case "postgresql" -> {
                    Optional<String> url = raw(urlName);
                    if (url.isEmpty()) {
                        problems.add("invalid setting " + urlName + ": must be set (a jdbc:postgresql: URL) when " + kindName + "=postgresql");
                    } else if (!url.get().startsWith("jdbc:postgresql:")) {
                        // the URL may carry a password: name the rule, not the value
                        problems.add("invalid setting " + urlName + ": must be a jdbc:postgresql: URL");
                    }
                }
                default -> invalid(kindName, "must be embedded or postgresql", kind.get());
            }
        }
    }
}
