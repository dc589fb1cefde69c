package destination.mailmodo.event;

import java.time.Duration;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Segment waits about 4 s for an answer (DESIGN §3): each request gets a budget measured from its arrival,
 * and nothing that could outlast it (a new event, a retry, a rate-limit wait) starts once it is spent.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("requestBudget")
public class RequestBudget {

    public static final String ARRIVED_AT = "arrivedAt";
    /** Set by the HTTP server when a request's headers arrive (AnswerDeadline); read once, then dropped. */
    public static final String ARRIVED_HEADER = "X-Mailmodo-Destination-Arrived";

    private final long budgetMillis;
    private final long attemptMillis;

    public RequestBudget(@ConfigProperty(name = "destination.request-budget") Duration budget,
            @ConfigProperty(name = "mailmodo.timeout") Duration responseTimeout,
            @ConfigProperty(name = "mailmodo.connect-timeout") Duration connectTimeout) {
        this.budgetMillis = budget.toMillis();
        // the longest one attempt can take: connecting, then waiting for the answer
        this.attemptMillis = connectTimeout.toMillis() + responseTimeout.toMillis();
    }

    /**
     * Marks the request's arrival — when its headers reached the server, else when the exchange was created; split
     * and replayed exchanges carry it on as a property.
     */
    public void start(Exchange exchange) {
        String arrived = exchange.getMessage().getHeader(ARRIVED_HEADER, String.class);
        long created = exchange.getClock().getCreated();
        long at = created;
        if (arrived != null) {
            try {
                at = Math.min(created, Long.parseLong(arrived));
            } catch (NumberFormatException ignored) {
                // only the server sets it
            }
            exchange.getMessage().removeHeader(ARRIVED_HEADER);
        }
        exchange.setProperty(ARRIVED_AT, at);
    }

    public static long elapsedMillis(Exchange exchange) {
        Long arrivedAt = exchange.getProperty(ARRIVED_AT, Long.class);
        return System.currentTimeMillis() - (arrivedAt != null ? arrivedAt : exchange.getClock().getCreated());
    }

    public long remainingMillis(Exchange exchange) {
        return budgetMillis - elapsedMillis(exchange);
    }

    public long attemptMillis() {
        return attemptMillis;
    }

    /** Whether {@code waitMillis} and then one more Mailmodo attempt still fit. */
    public boolean fits(Exchange exchange, long waitMillis) {
        return waitMillis + attemptMillis <= remainingMillis(exchange);
    }

    /** No time left for even one Mailmodo attempt: the event is answered "retry" without being started. */
    public boolean spent(Exchange exchange) {
        return !fits(exchange, 0);
    }
}
