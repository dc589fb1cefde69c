package destination.mailmodo.store;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The state store did not answer (busy, disk full, connection lost): the sender retries, nothing is lost. */
@RegisterForReflection
public final class StoreUnavailable extends OutcomeException {

    public StoreUnavailable(Throwable cause) {
        super(Outcome.retry("store_unavailable", "the destination's state store is unavailable; retry later",
                Outcome.DEFAULT_RETRY_AFTER), cause);
    }
}
