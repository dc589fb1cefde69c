package destination.mailmodo.mapping;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

/** When a Segment message happened, read leniently because SDKs disagree on the spelling. */
public final class EventTime {

    /** Numbers above this are UNIX milliseconds (in seconds it would be the year 5138). */
    static final BigDecimal MILLIS_THRESHOLD = BigDecimal.valueOf(100_000_000_000L);

    // ISO-8601-ish: one-digit month/day/hour, optional seconds and fraction, space or T, optional zone
    private static final Pattern DATE_TIME = Pattern.compile(
            "(\\d{4})-(\\d{1,2})-(\\d{1,2})"
                    + "(?:[Tt ](\\d{1,2}):(\\d{1,2})(?::(\\d{1,2})(?:[.,](\\d+))?)?)?"
                    + "\\s*([Zz]|[+-]\\d{2}(?::?\\d{2})?)?");

    private EventTime() {
    }

    /** {@code timestamp}, else {@code originalTimestamp}, else {@code receivedAt}: the first that parses. */
    public static Optional<Instant> of(JsonNode event) {
        if (event == null) {
            return Optional.empty();
        }
        return Stream.of("timestamp", "originalTimestamp", "receivedAt")
                .map(field -> parse(event.get(field)))
                .flatMap(Optional::stream)
                .findFirst();
    }

    /**
     * An ISO-8601 date or date-time (a missing zone means UTC, a date alone means midnight UTC), or a
     * JSON number of UNIX seconds — milliseconds when above 100000000000. Anything else is empty.
     */
    public static Optional<Instant> parse(JsonNode value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            if (value.isNumber()) {
                return Optional.of(fromUnix(value.decimalValue()));
            }
            if (value.isTextual()) {
                return fromText(value.textValue().trim());
            }
        } catch (DateTimeException | ArithmeticException | NumberFormatException outOfRange) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Instant fromUnix(BigDecimal number) {
        BigDecimal seconds = number.compareTo(MILLIS_THRESHOLD) > 0 ? number.movePointLeft(3) : number;
        long whole = seconds.setScale(0, RoundingMode.FLOOR).longValueExact();
        long nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue();
        return Instant.ofEpochSecond(whole, nanos);
    }

    private static Optional<Instant> fromText(String text) {
        Matcher m = DATE_TIME.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        LocalDateTime local = LocalDateTime.of(
                number(m.group(1)), number(m.group(2)), number(m.group(3)),
                number(m.group(4)), number(m.group(5)), number(m.group(6)), nanos(m.group(7)));
        ZoneOffset offset = m.group(8) == null ? ZoneOffset.UTC : ZoneOffset.of(m.group(8).toUpperCase());
        return Optional.of(local.toInstant(offset));
    }

    private static int number(String digits) {
        return digits == null ? 0 : Integer.parseInt(digits);
    }

    private static int nanos(String fraction) {
        if (fraction == null) {
            return 0;
        }
        String nine = (fraction + "000000000").substring(0, 9);
        return Integer.parseInt(nine);
    }
}
