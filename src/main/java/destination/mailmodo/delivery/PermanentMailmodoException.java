package destination.mailmodo.delivery;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Mailmodo refused the request itself (400/404/409/422 or success:false): retrying cannot help. */
@RegisterForReflection
public final class PermanentMailmodoException extends OutcomeException {

    public PermanentMailmodoException(String mailmodoMessage) {
        super(Outcome.rejected("mailmodo_rejected", "Mailmodo rejected the event: " + mailmodoMessage));
    }
}
