package destination.mailmodo.mapping;

import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

/** Where a Segment message carries the contact's email, and whether it looks like one. */
public final class EmailAddress {

    static final int MAX_LENGTH = 254;

    private EmailAddress() {
    }

    /**
     * {@code traits.email}, else {@code context.traits.email}, else {@code properties.email}: the
     * first that is present and not blank, trimmed. A non-string value comes back as its text, so
     * the caller rejects it as invalid instead of falling through to a weaker source.
     */
    public static Optional<String> find(JsonNode event) {
        if (event == null) {
            return Optional.empty();
        }
        return Stream.of(event.path("traits"), event.path("context").path("traits"), event.path("properties"))
                .map(source -> source.path("email"))
                .filter(value -> !value.isMissingNode() && !value.isNull())
                .map(value -> (value.isValueNode() ? value.asText() : value.toString()).trim())
                .filter(text -> !text.isEmpty())
                .findFirst();
    }

    /** One {@code @}, a non-empty local part, a dotted domain, no whitespace, at most 254 characters. */
    public static boolean isValid(String email) {
        if (email == null || email.isEmpty() || email.length() > MAX_LENGTH
                || email.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))) {
            return false;
        }
        int at = email.indexOf('@');
        if (at <= 0 || at != email.lastIndexOf('@')) {
            return false;
        }
        String domain = email.substring(at + 1);
        int dot = domain.indexOf('.');
        return dot > 0 && domain.lastIndexOf('.') < domain.length() - 1;
    }
}
