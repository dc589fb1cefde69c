package destination.mailmodo.event;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What the sender is told about one event: HTTP status, outcome word (DESIGN §3), reason code (DESIGN §8,
 * never free text), a stable sentence, and Retry-After seconds for 503s.
 */
@RegisterForReflection
public record Outcome(int httpStatus, String status, String reason, String message, Integer retryAfterSeconds) {

    public static final int DEFAULT_RETRY_AFTER = 2;

    public static Outcome delivered() {
        return new Outcome(200, "delivered", null, "delivered to Mailmodo", null);
    }

    public static Outcome skipped(String reason, String message) {
        return new Outcome(200, "skipped", reason, message, null);
    }

    public static Outcome rejected(String reason, String message) {
        return new Outcome(400, "rejected", reason, message, null);
    }

    public static Outcome unsupported(String reason, String message) {
        return new Outcome(501, "unsupported", reason, message, null);
    }

    public static Outcome retry(String reason, String message, int retryAfterSeconds) {
        return new Outcome(503, "retry", reason, message, retryAfterSeconds);
    }

    /** The request's time budget ran out before the event (or its next attempt) was started. */
    public static Outcome notReached() {
        return retry("deadline", "not processed within this request's time budget; retry", DEFAULT_RETRY_AFTER);
    }

    public static Outcome integrationDisabled() {
        return skipped("integration_disabled", "skipped: integrations.Mailmodo is false");
    }

    /** A bug of ours: nothing says the event was delivered, so the sender retries it. */
    public static Outcome internalError() {
        return new Outcome(500, "retry", "internal_error", "internal error: the event was not delivered", null);
    }

    public static Outcome denied(int httpStatus, String reason, String message) {
        return new Outcome(httpStatus, "rejected", reason, message, null);
    }
}
