package destination.mailmodo.segment;

import java.util.UUID;

import destination.mailmodo.delivery.DeliveryCounters;
import destination.mailmodo.delivery.DeliveryRetries;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import destination.mailmodo.event.RejectedEvent;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.store.AsyncStore;
import destination.mailmodo.store.DeadLetter;
import destination.mailmodo.store.DeadLetters;
import destination.mailmodo.store.Store;
import destination.mailmodo.store.StoreUnavailable;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
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
    private final AsyncStore store;

    public DeadLetterChannel(DeadLetters deadLetters, DeliveryCounters counters, AsyncStore store) {
        this.deadLetters = deadLetters;
        this.counters = counters;
        this.store = store;
    }

    /**
     * The failures kept: an event refused for good (400, or 413 for an oversized event of a batch). Not 401/403
     * (a replay needs a working key), not 501 (a call type this destination does not take), not retries.
     */
    public static boolean keeps(Outcome outcome) {
        return outcome.httpStatus() == 400 || outcome.httpStatus() == 413;
    }

    /**
     * The channel's endpoint ({@code process: ref: keepDeadLetter}): the failed event is kept without blocking the
     * event loop — its insert is an {@link AsyncStore} operation and the route resumes once it is durable. A replay
     * (which updates its dead letter) or a route off the event loop keeps it in place.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("keepDeadLetter")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class KeepStep extends AsyncProcessorSupport {

        private final DeadLetterChannel channel;

        public KeepStep(DeadLetterChannel channel) {
            this.channel = channel;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return channel.keepAsync(exchange, callback);
        }
    }

    boolean keepAsync(Exchange exchange, AsyncCallback callback) { // not private: called through the client proxy
        Throwable failure = Outcomes.decisive(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        SingleEvent event = SingleEvent.of(exchange);
        if (!(failure instanceof OutcomeException permanent) || event == null) {
            callback.done(true); // the channel only receives permanent failures of events (Outcomes.answeredAtOnce)
            return true;
        }
        if (!Context.isOnEventLoopThread() || exchange.getProperty(REPLAYED_ID) != null) {
            AsyncStore.continueAfter(exchange, () -> keep(exchange, event, permanent.outcome()));
            callback.done(true);
            return true;
        }
        Outcome outcome = permanent.outcome();
        return store.run(exchange, callback, deadLetters.addOperation(letter(exchange, event, outcome)),
                (kept, rows) -> counters.event(event.type(), "dead_lettered", outcome.reason()),
                (notKept, down) -> notKept(notKept, down), late -> { });
    }

    private static void notKept(Exchange exchange, RuntimeException down) {
        LOG.errorf("dead letter not kept (%s): the sender is answered 503 and will redeliver",
                down.getCause() == null ? "store unavailable" : down.getCause().getClass().getName());
        exchange.setProperty(NOT_KEPT, down instanceof StoreUnavailable unavailable ? unavailable : new StoreUnavailable(down));
    }

    private static DeadLetter letter(Exchange exchange, SingleEvent event, Outcome failure) {
        return new DeadLetter(UUID.randomUUID().toString(), exchange.getProperty("tenantKey", TenantKey.class).tenant(), event.messageId(),
                event.type(), failure.reason(), Store.storable(failure.message()), received(event), exchange.getProperty("listName", String.class),
                exchange.getProperty(DeliveryRetries.ATTEMPTS, 0, Integer.class), System.currentTimeMillis());
    }

    /** Keeps the event's permanent failure in place (or updates the replayed dead letter); says so when it could not. */
    private void keep(Exchange exchange, SingleEvent event, Outcome failure) {
        String replayedId = exchange.getProperty(REPLAYED_ID, String.class);
        try {
            if (replayedId == null || !deadLetters.failedAgain(exchange.getProperty("tenantKey", TenantKey.class).tenant(), replayedId,
                    failure.reason(), failure.message(), exchange.getProperty(DeliveryRetries.ATTEMPTS, 0, Integer.class),
                    System.currentTimeMillis())) {
                deadLetters.add(letter(exchange, event, failure));
            }
            counters.event(event.type(), "dead_lettered", failure.reason());
        } catch (StoreUnavailable down) {
            notKept(exchange, down);
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
