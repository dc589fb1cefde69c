package destination.mailmodo.segment;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.store.AsyncStore;
import destination.mailmodo.store.ProcessedMessages.AlreadyDone;
import destination.mailmodo.store.ProcessedMessages.InFlight;
import destination.mailmodo.store.ProcessedMessages;
import destination.mailmodo.store.StoreUnavailable;
import destination.mailmodo.store.StoreWork;
import destination.mailmodo.store.UnrecordedOutcomes;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

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

    private static final int MAX_HELD = 10_000;

    private final ProcessedMessages processed;
    private final UnrecordedOutcomes unrecorded;
    private final AsyncStore store;
    private final StoreWork storeWork;
    // the claims this instance holds (events in flight here): a release only drops its own claim
    private final Map<Key, Long> held = new ConcurrentHashMap<>();

    /** Without the asynchronous claim step (only {@link #seenBefore} and the blocking calls work). */
    public Deduplication(ProcessedMessages processed, UnrecordedOutcomes unrecorded) {
        this(processed, unrecorded, null, null);
    }

    @Inject
    public Deduplication(ProcessedMessages processed, UnrecordedOutcomes unrecorded, AsyncStore store, StoreWork storeWork) {
        this.processed = processed;
        this.unrecorded = unrecorded;
        this.store = store;
        this.storeWork = storeWork;
    }

    /**
     * The event route's idempotent consumer as a step that never blocks the event loop ({@code process: ref:
     * dedupeClaim}): claims the event's key like {@link #seenBefore} and sets {@link #DUPLICATE_OUTCOME} when it
     * was seen before, else {@link #CLAIMED}. The claim runs as an {@link AsyncStore} operation; only a key with an
     * outcome waiting in memory for the store (an outage) takes the blocking path, off the event loop.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("dedupeClaim")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class ClaimStep extends AsyncProcessorSupport {

        private final Deduplication dedupe;

        public ClaimStep(Deduplication dedupe) {
            this.dedupe = dedupe;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return dedupe.claim(exchange, callback);
        }
    }

    boolean claim(Exchange exchange, AsyncCallback callback) { // not private: called through the bean's client proxy
        String messageId = SingleEvent.of(exchange).messageId();
        if (messageId == null) {
            callback.done(true);
            return true;
        }
        String tenant = tenant(exchange);
        if (unrecorded.find(new Key(tenant, messageId)).isPresent()) {
            return storeWork.runBlocking(exchange, callback, this::seenBefore);
        }
        boolean replay = exchange.getProperty(REPLAY, false, Boolean.class);
        return store.run(exchange, callback, processed.claimOperation(tenant, messageId, replay),
                (claimed, claim) -> remember(claimed, answerFor(tenant, messageId, claim)),
                Exchange::setException, lateClaim -> {
                    // the sender was told to retry: a claim made after that must not hold its redelivery off
                    if (lateClaim instanceof ProcessedMessages.Claimed mine) {
                        store.submit(processed.releaseOperation(tenant, messageId, mine.leaseUntil()));
                    }
                });
    }

    /** A dedupe key. */
    record Key(String tenant, String messageId) {
    }

    /** A key's outcome on its way to the store: kept (delivered, rejected for good), or the claim dropped. */
    record Settle(ProcessedMessages processed, String tenant, String messageId, Outcome outcome, Long leaseUntil)
            implements UnrecordedOutcomes.Pending {

        @Override
        public void write() {
            if (isFinal(outcome)) {
                processed.complete(tenant, messageId, outcome);
            } else {
                processed.release(tenant, messageId, leaseUntil);
            }
        }

        @Override
        public AsyncStore.Operation<Integer> operation() {
            return isFinal(outcome) ? processed.completeOperation(tenant, messageId, outcome)
                    : processed.releaseOperation(tenant, messageId, leaseUntil);
        }

        @Override
        public String describe() {
            return "dedupe key tenant=" + tenant + " messageId=" + Outcomes.loggable(messageId) + " outcome=" + outcome.status();
        }
    }

    /**
     * Claims the event's key; true (with the answer to give in a property) when it was seen before. A replay
     * of a dead letter claims too — so two replays, or a replay and Segment's redelivery, never both deliver —
     * but a kept rejection does not stop it.
     */
    public boolean seenBefore(Exchange exchange) {
        SingleEvent event = SingleEvent.of(exchange);
        if (event.messageId() == null) {
            return false; // an event refused before it had an id (not JSON) has nothing to dedupe on
        }
        boolean replay = exchange.getProperty(REPLAY, false, Boolean.class);
        String tenant = tenant(exchange);
        Optional<Outcome> seen = unrecordedAnswer(tenant, event.messageId(), replay).or(() -> answerFor(tenant, event.messageId(),
                replay ? processed.claimForReplay(tenant, event.messageId()) : processed.claim(tenant, event.messageId())));
        remember(exchange, seen);
        return seen.isPresent();
    }

    /** What the claim found, on the exchange: the duplicate's answer, or that this exchange holds the claim. */
    private static void remember(Exchange exchange, Optional<Outcome> seen) {
        seen.ifPresentOrElse(answer -> exchange.setProperty(DUPLICATE_OUTCOME, answer), () -> exchange.setProperty(CLAIMED, true));
    }

    /** @return the answer for a duplicate, or empty when this caller now holds the claim */
    public Optional<Outcome> claim(String tenant, String messageId) {
        return unrecordedAnswer(tenant, messageId, false).or(() -> answerFor(tenant, messageId, processed.claim(tenant, messageId)));
    }

    /**
     * An outcome this process decided but the store has not recorded yet answers from memory: a delivered event is
     * a duplicate, never a second Mailmodo call. A dropped claim not yet written (or a kept rejection a replay may
     * take over) is written first; if the store still refuses, the sender retries.
     */
    private Optional<Outcome> unrecordedAnswer(String tenant, String messageId, boolean replay) {
        Key key = new Key(tenant, messageId);
        Optional<UnrecordedOutcomes.Pending> waiting = unrecorded.find(key);
        if (waiting.isEmpty()) {
            return Optional.empty();
        }
        Outcome outcome = ((Settle) waiting.get()).outcome();
        if (isFinal(outcome) && !(replay && outcome.httpStatus() != 200)) {
            return answerFor(tenant, messageId, new AlreadyDone(outcome));
        }
        if (!unrecorded.writeNow(key)) {
            throw new StoreUnavailable(null);
        }
        return Optional.empty();
    }

    private Optional<Outcome> answerFor(String tenant, String messageId, ProcessedMessages.Claim claim) {
        if (claim instanceof ProcessedMessages.Claimed mine) {
            if (held.size() > MAX_HELD) {
                long now = System.currentTimeMillis();
                held.values().removeIf(leaseUntil -> leaseUntil < now); // claims never settled (their lease is over)
            }
            held.put(new Key(tenant, messageId), mine.leaseUntil());
            return Optional.empty();
        }
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
     * dropped. A store failure here does not change the sender's answer (the event's fate is already decided):
     * the outcome waits in memory until the store records it, and answers redeliveries meanwhile.
     */
    public void settle(String tenant, String messageId, Outcome outcome) {
        Key key = new Key(tenant, messageId);
        unrecorded.record(key, new Settle(processed, tenant, messageId, outcome, held.remove(key)));
    }

    /**
     * {@link #settle} as a route step that never blocks the event loop: the outcome is written as an
     * {@link AsyncStore} operation (or kept in memory when the store refuses it), then {@code then} runs and the
     * route goes on. {@code alsoWrites} (keyed as {@link UnrecordedOutcomes} keeps them) share the operation; only
     * they are written when the exchange did not hold the key's claim ({@code claimed} false).
     *
     * @return whether the route continued in place
     */
    public boolean settle(Exchange exchange, AsyncCallback callback, String tenant, String messageId, Outcome outcome,
            boolean claimed, Map<Object, UnrecordedOutcomes.Pending> alsoWrites, Consumer<Exchange> then) {
        Map<Object, UnrecordedOutcomes.Pending> writes = new LinkedHashMap<>(alsoWrites);
        if (claimed) {
            Key key = new Key(tenant, messageId);
            writes.put(key, new Settle(processed, tenant, messageId, outcome, held.remove(key)));
        }
        return unrecorded.recordAllAsync(store, exchange, callback, writes, then);
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
