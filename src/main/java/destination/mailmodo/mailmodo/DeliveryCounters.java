package destination.mailmodo.mailmodo;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Delivery counts operators need before metrics exist: retries, and timeouts — ambiguous, because the call
 * may have reached Mailmodo although no answer came back (a retry may then deliver twice).
 */
@ApplicationScoped
public class DeliveryCounters {

    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong ambiguous = new AtomicLong();

    public void retried() {
        retried.incrementAndGet();
    }

    public void ambiguous() {
        ambiguous.incrementAndGet();
    }

    public long retriedCount() {
        return retried.get();
    }

    public long ambiguousCount() {
        return ambiguous.get();
    }
}
