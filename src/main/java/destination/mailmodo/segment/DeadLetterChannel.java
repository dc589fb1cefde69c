package destination.mailmodo.segment;

import java.util.List;
import java.util.UUID;

import destination.mailmodo.delivery.DeliveryCounters;
import destination.mailmodo.delivery.DeliveryRetries;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import destination.mailmodo.event.RejectedEvent;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.store.DeadLetter;
import destination.mailmodo.store.DeadLetters;
import destination.mailmodo.store.Store;
import destination.mailmodo.store.StoreUnavailable;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

/**
 * The dead-letter channel's endpoint (routes/error-handling.yaml): keeps the event that failed for good,
 * with why, how many Mailmodo calls it took and when — or, for a replayed dead letter, updates it. When the
 * store cannot keep it, says so on the exchange, and the sender is told to retry instead (nothing is lost).
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("deadLetterChannel")
public class DeadLetterChannel {

    public static final String NOT_KEPT = "deadLetterNotKept";
    public static final String REPLAYED_ID = "deadLetterId";

    private static final Logger LOG = Logger.getLogger(DeadLetterChannel.class);

    private final DeadLetters deadLetters;

    private final DeliveryCounters counters;

    public DeadLetterChannel(DeadLetters deadLetters, DeliveryCounters counters) {
        this.deadLetters = deadLetters;
        this.counters = counters;
    }

    /**
     * The failures kept: an event refused for good (400, or 413 for an oversized event of a batch). Not 401/403
     * (a replay needs a working key), not 501 (a call type this destination does not take), not retries.
     */
    public static boolean keeps(Outcome outcome) {
        return outcome.httpStatus() == 400 || outcome.httpStatus() == 413;
    }

    /** The channel's endpoint: the failed event is kept. */
    public void keep(Exchange exchange) {
        Throwable failure = Outcomes.decisive(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        if (!(failure instanceof OutcomeException permanent)) {
            return; // the channel only receives permanent failures (Outcomes.answeredAtOnce)
        }
        SingleEvent event = SingleEvent.of(exchange);
        if (event != null && keepOne(exchange, event, permanent.outcome()) != permanent.outcome()) {
            exchange.setProperty(NOT_KEPT, new StoreUnavailable(null));
        }
    }

    /**
     * Keeps one event's permanent failure (or updates the replayed dead letter).
     *
     * @return the outcome to answer: the failure's, or a 503 when the store could not keep it (never lost)
     */
    public Outcome keepOne(Exchange exchange, SingleEvent event, Outcome failure) {
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        int attempts = exchange.getProperty(DeliveryRetries.ATTEMPTS, 0, Integer.class);
        long now = System.currentTimeMillis();
        String replayedId = exchange.getProperty(REPLAYED_ID, String.class);
        try {
            if (replayedId == null || !deadLetters.failedAgain(tenant, replayedId, failure.reason(), failure.message(), attempts, now)) {
                deadLetters.add(new DeadLetter(UUID.randomUUID().toString(), tenant, event.messageId(),
                        event.type(), failure.reason(), Store.storable(failure.message()), received(event),
                        exchange.getProperty("listName", String.class), attempts, now));
            }
            counters.event(event.type(), "dead_lettered", failure.reason());
            return failure;
        } catch (StoreUnavailable down) {
            LOG.errorf("dead letter not kept (%s): the sender is answered 503 and will redeliver",
                    down.getCause() == null ? "store unavailable" : down.getCause().getClass().getName());
            return down.outcome();
        }
    }

    /** A replayed dead letter that got through (delivered, or found delivered already) leaves the store. */
    public void settleReplay(Exchange exchange, Outcome outcome) {
        String replayedId = exchange.getProperty(REPLAYED_ID, String.class);
        if (replayedId == null || outcome.httpStatus() != 200) {
            return;
        }
        try {
            deadLetters.delete(exchange.getProperty("tenantKey", TenantKey.class).tenant(), replayedId);
        } catch (StoreUnavailable down) {
            LOG.errorf("replayed dead letter %s delivered but not removed: a new replay finds it delivered", replayedId);
        }
    }

    private static String received(SingleEvent event) {
        return event instanceof SegmentEvent valid ? valid.json().toString() : ((RejectedEvent) event).raw();
    }
}
