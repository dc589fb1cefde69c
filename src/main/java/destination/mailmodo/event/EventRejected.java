package destination.mailmodo.event;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Decided locally, before any Mailmodo call: bad input, bad credential, unsupported call, unknown user. */
@RegisterForReflection
public final class EventRejected extends OutcomeException {

    public EventRejected(Outcome outcome) {
        super(outcome);
    }

    public static EventRejected malformed(String message) {
        return new EventRejected(Outcome.rejected("malformed", message));
    }
}
