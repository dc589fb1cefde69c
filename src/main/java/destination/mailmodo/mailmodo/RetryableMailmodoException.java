package destination.mailmodo.mailmodo;

import destination.mailmodo.segment.Outcome;
import destination.mailmodo.segment.OutcomeException;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Mailmodo is busy or failing (408/429/5xx): the same request may succeed later. */
@RegisterForReflection
public final class RetryableMailmodoException extends OutcomeException {

    public RetryableMailmodoException(int httpStatus, int retryAfterSeconds) {
        super(Outcome.retry(httpStatus == 429 ? "rate_limited" : "mailmodo_unavailable",
                "Mailmodo is temporarily unavailable (HTTP " + httpStatus + "); retry later", retryAfterSeconds));
    }
}
