package destination.mailmodo.event;

/**
 * An event that ends before delivery, carrying the answer for the sender. The exception message is the
 * reason code only: the outcome's sentence may quote Mailmodo, which may quote an email.
 */
public class OutcomeException extends RuntimeException {

    private final transient Outcome outcome;

    public OutcomeException(Outcome outcome) {
        this(outcome, null);
    }

    protected OutcomeException(Outcome outcome, Throwable cause) {
        super(outcome.reason(), cause, false, false);
        this.outcome = outcome;
    }

    public Outcome outcome() {
        return outcome;
    }
}
