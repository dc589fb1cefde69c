package destination.mailmodo.delivery;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Mailmodo answered 401/403: the key is wrong. Passed through to the sender whose key it is. */
@RegisterForReflection
public final class MailmodoAuthException extends OutcomeException {

    public MailmodoAuthException(int httpStatus) {
        super(Outcome.denied(httpStatus, "mailmodo_auth",
                httpStatus == 401 ? "Mailmodo rejected the API key" : "Mailmodo denied this API key access"));
    }
}
