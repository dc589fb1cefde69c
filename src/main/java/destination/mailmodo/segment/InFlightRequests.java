package destination.mailmodo.segment;

import java.util.concurrent.atomic.AtomicInteger;

import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code destination.max-in-flight}: beyond it a request is answered 503 at once — never queued, because a
 * queue eats the deadline and a late answer makes Segment redeliver (DESIGN §3).
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("inFlight")
public class InFlightRequests {

    private final int max;
    private final AtomicInteger current = new AtomicInteger();

    public InFlightRequests(@ConfigProperty(name = "destination.max-in-flight") int max) {
        this.max = max;
    }

    public void enter(Exchange exchange) {
        if (current.incrementAndGet() > max) {
            current.decrementAndGet();
            throw new EventRejected(Outcome.retry("too_busy", "too many requests in flight; retry later", Outcome.DEFAULT_RETRY_AFTER));
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                current.decrementAndGet();
            }
        });
    }
}
