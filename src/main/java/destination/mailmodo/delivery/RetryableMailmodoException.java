package destination.mailmodo.delivery;

import java.util.OptionalInt;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Mailmodo is busy or failing (408/429/5xx): the same request may succeed later. */
@RegisterForReflection
public final class RetryableMailmodoException extends OutcomeException {

    private final Integer mailmodoRetryAfter;

    /** @param mailmodoRetryAfter Mailmodo's own Retry-After in seconds, or null when it sent none */
    public RetryableMailmodoException(int httpStatus, Integer mailmodoRetryAfter) {
        super(Outcome.retry(httpStatus == 429 ? "rate_limited" : "mailmodo_unavailable",
                "Mailmodo is temporarily unavailable (HTTP " + httpStatus + "); retry later",
                mailmodoRetryAfter != null ? mailmodoRetryAfter : Outcome.DEFAULT_RETRY_AFTER));
        this.mailmodoRetryAfter = mailmodoRetryAfter;
    }

    /** How long Mailmodo asked us to wait before the next attempt, when it said. */
    public OptionalInt mailmodoRetryAfter() {
        return mailmodoRetryAfter == null ? OptionalInt.empty() : OptionalInt.of(mailmodoRetryAfter);
    }
}
