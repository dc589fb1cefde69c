package destination.mailmodo.delivery;

import java.net.SocketTimeoutException;
import java.util.List;

import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.SingleEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * The {@code retryWhile} of the Mailmodo call's redelivery (DESIGN §3): at most 2 retries, after 250 ms then
 * 1 s — or after Mailmodo's Retry-After — and only when the wait plus one more attempt fit the request's
 * budget. Sets the delay of the next redelivery on the exchange.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("deliveryRetries")
public class DeliveryRetries {

    public static final String ATTEMPTS = "mailmodoAttempts";
    private static final List<Long> BACKOFF_MILLIS = List.of(250L, 1000L);

    private final RequestBudget budget;
    private final DeliveryCounters counters;

    public DeliveryRetries(RequestBudget budget, DeliveryCounters counters) {
        this.budget = budget;
        this.counters = counters;
    }

    public boolean shouldRetry(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure == null) {
            failure = exchange.getException();
        }
        if (ambiguous(exchange, failure)) {
            SingleEvent event = SingleEvent.of(exchange);
            counters.ambiguous(event != null ? event.type() : "identify"); // no single event: a gathering's shared call
        }
        int attempts = exchange.getProperty(ATTEMPTS, 0, Integer.class);
        if (attempts > BACKOFF_MILLIS.size()) {
            return false;
        }
        RetryableMailmodoException retryable = causedBy(failure, RetryableMailmodoException.class);
        long delay = retryable != null && retryable.mailmodoRetryAfter().isPresent()
                ? retryable.mailmodoRetryAfter().getAsInt() * 1000L
                : BACKOFF_MILLIS.get(Math.max(0, attempts - 1));
        if (!budget.fits(exchange, delay)) {
            return false;
        }
        exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, delay);
        return true;
    }

    /**
     * Counts the attempt about to be made; the retried unit calls this first. An attempt that could no longer
     * end inside the budget (slow store work before it) is not made: the sender retries.
     */
    public void attempt(Exchange exchange) {
        if (budget.spent(exchange)) {
            throw new EventRejected(Outcome.notReached());
        }
        exchange.setProperty(ATTEMPTS, exchange.getProperty(ATTEMPTS, 0, Integer.class) + 1);
    }

    /**
     * A call that may have reached Mailmodo without an answer coming back: an answer that stopped coming, or a call
     * its deadline cut once connected. A failed connect, or a cut while waiting for a connection, never left.
     */
    static boolean ambiguous(Exchange exchange, Throwable failure) {
        Object cut = exchange.getProperty(MailmodoCall.CUT);
        if (cut != null) {
            return cut == MailmodoCall.Cut.UNANSWERED;
        }
        return causedBy(failure, SocketTimeoutException.class) != null;
    }

    private static <T extends Throwable> T causedBy(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
