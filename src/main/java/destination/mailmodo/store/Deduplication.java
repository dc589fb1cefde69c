package destination.mailmodo.store;

import java.util.Optional;

import destination.mailmodo.segment.Outcome;
import destination.mailmodo.segment.Outcomes;
import destination.mailmodo.segment.SingleEvent;
import destination.mailmodo.segment.TenantKey;
import destination.mailmodo.store.ProcessedMessages.AlreadyDone;
import destination.mailmodo.store.ProcessedMessages.InFlight;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

/**
 * The idempotent consumer of the event route (DESIGN §4, §7). Camel's stock one forgets a key whenever an
 * exception was handled and treats in-flight duplicates as done; Segment's redeliveries need the outcome kept
 * and an in-flight duplicate told to come back.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("dedupe")
public class Deduplication {

    public static final String CLAIMED = "dedupeClaimed";
    public static final String DUPLICATE_OUTCOME = "duplicateOutcome";
    public static final String REPLAY = "replay";

    private static final Logger LOG = Logger.getLogger(Deduplication.class);

    private final ProcessedMessages processed;

    public Deduplication(ProcessedMessages processed) {
        this.processed = processed;
    }

    /**
     * Claims the event's key; true (with the answer to give in a property) when it was seen before. A replay
     * of a dead letter claims too — so two replays, or a replay and Segment's redelivery, never both deliver —
     * but a kept rejection does not stop it.
     */
    public boolean seenBefore(Exchange exchange) {
        SingleEvent event = Outcomes.event(exchange);
        if (event.messageId() == null) {
            return false; // an event refused before it had an id (not JSON) has nothing to dedupe on
        }
        boolean replay = exchange.getProperty(REPLAY, false, Boolean.class);
        Optional<Outcome> seen = answerFor(replay ? processed.claimForReplay(tenant(exchange), event.messageId())
                : processed.claim(tenant(exchange), event.messageId()));
        seen.ifPresentOrElse(answer -> exchange.setProperty(DUPLICATE_OUTCOME, answer), () -> exchange.setProperty(CLAIMED, true));
        return seen.isPresent();
    }

    /** @return the answer for a duplicate, or empty when this caller now holds the claim */
    public Optional<Outcome> claim(String tenant, String messageId) {
        return answerFor(processed.claim(tenant, messageId));
    }

    private static Optional<Outcome> answerFor(ProcessedMessages.Claim claim) {
        if (claim instanceof AlreadyDone done) {
            return Optional.of(done.outcome().httpStatus() == 200
                    ? new Outcome(200, "duplicate", "duplicate", "duplicate of an event already delivered", null)
                    : done.outcome());
        }
        if (claim instanceof InFlight) {
            return Optional.of(Outcome.retry("in_flight",
                    "an event with this messageId is still being processed; retry later", Outcome.DEFAULT_RETRY_AFTER));
        }
        return Optional.empty();
    }

    /**
     * Delivered or permanently rejected: the outcome is kept. Anything the sender should retry: the claim is
     * dropped. A store failure here does not change the sender's answer (the event's fate is already decided);
     * an unreleased claim expires with its lease.
     */
    public void settle(String tenant, String messageId, Outcome outcome) {
        try {
            if (isFinal(outcome)) {
                processed.complete(tenant, messageId, outcome);
            } else {
                processed.release(tenant, messageId);
            }
        } catch (StoreUnavailable down) {
            LOG.errorf("dedupe key not settled (%s): a redelivery may be processed again", down.getCause() == null
                    ? "store unavailable" : down.getCause().getClass().getName());
        }
    }

    /** Whether this exchange holds the claim of its event's key; taken, so it is settled once. */
    public boolean takeClaim(Exchange exchange) {
        boolean claimed = exchange.getProperty(CLAIMED, false, Boolean.class);
        exchange.removeProperty(CLAIMED);
        return claimed;
    }

    /** What the sender will not send again: delivered, rejected for good, unsupported. */
    static boolean isFinal(Outcome outcome) {
        int status = outcome.httpStatus();
        return status == 200 || status == 501 || (status >= 400 && status < 500 && status != 401 && status != 403);
    }

    private static String tenant(Exchange exchange) {
        return exchange.getProperty("tenantKey", TenantKey.class).tenant();
    }

}
