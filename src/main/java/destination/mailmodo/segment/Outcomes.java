package destination.mailmodo.segment;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.delivery.DeliveryCounters;
import destination.mailmodo.delivery.MailmodoAuthException;
import destination.mailmodo.delivery.MailmodoCall;
import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import destination.mailmodo.event.RejectedEvent;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SegmentRequest;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.event.Work;
import destination.mailmodo.store.KnownContacts;
import destination.mailmodo.store.StoreUnavailable;
import destination.mailmodo.store.UnrecordedOutcomes;
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
 * Outcomes of events and the one answer a sender gets. Each event's outcome becomes an {@link EventResult}
 * (and one log line); {@link #answer} turns a request's results into the HTTP answer — status, JSON body,
 * Retry-After, and no other header. Logs carry the tenant prefix, never the key, an email or a trait value.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("outcomes")
public class Outcomes {

    private static final Logger LOG = Logger.getLogger("destination.mailmodo.outcome");

    private static final Map<String, String> SKIP_MESSAGES = Map.of(
            "integration_disabled", Outcome.integrationDisabled().message());
    private static final Set<String> SEGMENT_CALLS = Set.of("page", "screen", "group", "alias", "delete");

    private final ObjectMapper json;
    private final InboundAuth auth;
    private final Deduplication dedupe;
    private final DeadLetterChannel deadLetterChannel;
    private final DeliveryCounters counters;

    public Outcomes(ObjectMapper json, InboundAuth auth, Deduplication dedupe, DeadLetterChannel deadLetterChannel,
            DeliveryCounters counters) {
        this.counters = counters;
        this.json = json;
        this.auth = auth;
        this.dedupe = dedupe;
        this.deadLetterChannel = deadLetterChannel;
    }

    public void delivered(Exchange exchange) {
        record(exchange, Outcome.delivered());
    }

    /**
     * The event route's last step after a delivery ({@code process: ref: delivered}): the result as
     * {@link #delivered}, with the dedupe key's outcome written without blocking the event loop — the route goes on
     * once it is durable (or kept in memory when the store refuses it).
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("delivered")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class DeliveredStep extends AsyncProcessorSupport {

        private final Outcomes outcomes;

        public DeliveredStep(Outcomes outcomes) {
            this.outcomes = outcomes;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return outcomes.recordDelivered(exchange, callback, Map.of());
        }
    }

    /**
     * The identify route's last step after a delivery ({@code process: ref: identifyDelivered}): the contact learned
     * and the result recorded as {@link DeliveredStep} does, both in one store operation.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("identifyDelivered")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class IdentifyDeliveredStep extends AsyncProcessorSupport {

        private final Outcomes outcomes;
        private final KnownContacts knownContacts;

        public IdentifyDeliveredStep(Outcomes outcomes, KnownContacts knownContacts) {
            this.outcomes = outcomes;
            this.knownContacts = knownContacts;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            if (!outcomes.settlesAsync(exchange)) {
                knownContacts.learnFromDelivered(exchange);
                return outcomes.recordDelivered(exchange, callback, Map.of());
            }
            return outcomes.recordDelivered(exchange, callback, knownContacts.learnedFromDelivered(exchange));
        }
    }

    /** Whether a delivered event's outcome is written without blocking: on the event loop, not a replay. */
    boolean settlesAsync(Exchange exchange) { // not private: called through the client proxy
        return Context.isOnEventLoopThread() && exchange.getProperty(DeadLetterChannel.REPLAYED_ID) == null;
    }

    boolean recordDelivered(Exchange exchange, AsyncCallback callback, Map<Object, UnrecordedOutcomes.Pending> alsoWrites) {
        return record(exchange, callback, Outcome.delivered(), alsoWrites);
    }

    /**
     * {@link #record} without blocking the event loop: the dedupe key's outcome and {@code alsoWrites} in one
     * asynchronous store operation, then the result; in place for a replay, off the event loop, or nothing to write.
     */
    private boolean record(Exchange exchange, AsyncCallback callback, Outcome outcome, Map<Object, UnrecordedOutcomes.Pending> alsoWrites) {
        SingleEvent event = SingleEvent.of(exchange);
        boolean claimed = exchange.getProperty(Deduplication.CLAIMED, false, Boolean.class);
        if (!settlesAsync(exchange) || (!claimed && alsoWrites.isEmpty())) {
            record(exchange, outcome); // a replay, a unit off the event loop, or nothing to write: in place
            callback.done(true);
            return true;
        }
        dedupe.takeClaim(exchange);
        return dedupe.settle(exchange, callback, exchange.getProperty("tenantKey", TenantKey.class).tenant(), event.messageId(), outcome,
                claimed, alsoWrites, settled -> settled.getMessage().setBody(result(settled, event, outcome, false)));
    }

    /** A filter dropped the event on purpose; its {@code dropReason} header says why. */
    public void skipped(Exchange exchange) {
        String reason = exchange.getMessage().getHeader("dropReason", String.class);
        record(exchange, Outcome.skipped(reason, SKIP_MESSAGES.getOrDefault(reason, "skipped")));
    }

    /** Segment's code for a call a destination does not support is 501. */
    public void unsupported(Exchange exchange) {
        String type = exchange.getProperty("segmentEvent", SegmentEvent.class).type();
        record(exchange, Outcome.unsupported("unsupported_type", SEGMENT_CALLS.contains(type)
                ? type + " calls are not supported by the Mailmodo destination"
                : "only identify and track calls are supported"));
    }

    /** The request's time budget ran out before this event was started. */
    public void notReached(Exchange exchange) {
        record(exchange, Outcome.notReached());
    }

    /** Validation refused the event: raised as a failure so the dead-letter channel keeps it. */
    public void reject(Exchange exchange) {
        throw new EventRejected(exchange.getProperty(SingleEvent.REJECTED_EVENT, RejectedEvent.class).outcome());
    }

    /**
     * The single place where an exception becomes an outcome: the event's result when an event was being
     * processed, else (credential, request shape) the answer to the whole request.
     */
    public void failed(Exchange exchange) {
        Outcome outcome = failureOutcome(exchange);
        if (SingleEvent.of(exchange) != null) {
            record(exchange, outcome);
        } else {
            requestFailed(exchange, outcome);
        }
    }

    /**
     * {@link #failed} as a step that never blocks the event loop ({@code process: ref: failedOutcome}): an event's
     * dedupe key is settled as an asynchronous store operation, as {@link DeliveredStep} does.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("failedOutcome")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class FailedStep extends AsyncProcessorSupport {

        private final Outcomes outcomes;

        public FailedStep(Outcomes outcomes) {
            this.outcomes = outcomes;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return outcomes.settleFailure(exchange, callback);
        }
    }

    boolean settleFailure(Exchange exchange, AsyncCallback callback) { // not private: called through the client proxy
        Outcome outcome;
        try {
            outcome = failureOutcome(exchange);
            if (SingleEvent.of(exchange) == null) {
                requestFailed(exchange, outcome);
                callback.done(true);
                return true;
            }
        } catch (RuntimeException e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        return record(exchange, callback, outcome, Map.of());
    }

    private Outcome failureOutcome(Exchange exchange) {
        StoreUnavailable notKept = exchange.getProperty(DeadLetterChannel.NOT_KEPT, StoreUnavailable.class);
        // a permanent failure the dead-letter store could not keep is retried by the sender, never lost
        return notKept != null ? outcomeOf(notKept, exchange)
                : outcomeOf(decisive(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class)), exchange);
    }

    /** A failure of the whole request (credential, request shape): its answer. */
    private void requestFailed(Exchange exchange, Outcome outcome) {
        log(exchange, null, null, outcome);
        write(exchange, outcome.httpStatus(), outcome.retryAfterSeconds(), body(outcome, null));
    }

    // bean and expression calls wrap what our code threw: the first outcome or I/O failure in the chain decides
    public static Throwable decisive(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof OutcomeException || (t instanceof IOException && !(t instanceof JsonProcessingException))) {
                return t;
            }
        }
        Throwable root = failure;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    Outcome outcomeOf(Throwable failure, Exchange exchange) {
        if (failure instanceof MailmodoAuthException denied && auth.fixedKeyMode()) {
            LOG.errorf("Mailmodo answered %d to the configured mailmodo.api-key: fix the setting; events are answered 503 until then",
                    denied.outcome().httpStatus());
            return Outcome.retry("mailmodo_auth", "Mailmodo rejected the destination's configured API key", Outcome.DEFAULT_RETRY_AFTER);
        }
        if (failure instanceof StoreUnavailable down) {
            Throwable cause = down.getCause();
            LOG.errorf("state store unavailable (%s, SQL state %s): events are answered 503 until it recovers",
                    cause == null ? "unknown" : cause.getClass().getName(),
                    cause instanceof java.sql.SQLException sql ? sql.getSQLState() : "-");
            return down.outcome();
        }
        if (failure instanceof OutcomeException known) {
            return known.outcome();
        }
        Object cut = exchange.getProperty(MailmodoCall.CUT);
        if (cut == MailmodoCall.Cut.NO_CONNECTION) {
            return Outcome.notReached(); // no connection to Mailmodo in time: nothing was sent
        }
        if (failure instanceof InterruptedIOException || cut == MailmodoCall.Cut.UNANSWERED) {
            return Outcome.retry("timeout", "Mailmodo did not answer in time", Outcome.DEFAULT_RETRY_AFTER);
        }
        if (failure instanceof IOException) {
            return Outcome.retry("mailmodo_unavailable", "Mailmodo could not be reached", Outcome.DEFAULT_RETRY_AFTER);
        }
        // class and place only: exception messages can quote the event
        StackTraceElement where = failure == null || failure.getStackTrace().length == 0 ? null : failure.getStackTrace()[0];
        LOG.errorf("internal error in route %s: %s at %s", exchange.getFromRouteId(),
                failure == null ? "unknown" : failure.getClass().getName(), where);
        return Outcome.internalError();
    }

    /** The idempotent consumer found the event's key: the answer it kept (or "still in flight"). */
    public void duplicate(Exchange exchange) {
        record(exchange, exchange.getProperty(Deduplication.DUPLICATE_OUTCOME, Outcome.class));
    }

    /**
     * The event's result replaces the message body (the splitter's aggregation collects it), and its dedupe
     * key, when this exchange claimed one, keeps the outcome or is released.
     */
    public void record(Exchange exchange, Outcome outcome) {
        deadLetterChannel.settleReplay(exchange, outcome);
        exchange.getMessage().setBody(result(exchange, SingleEvent.of(exchange), outcome, dedupe.takeClaim(exchange)));
    }

    /** One event's result among several of a unit; settles its dedupe key when the unit claimed it. */
    public EventResult result(Exchange exchange, SingleEvent event, Outcome outcome, boolean claimed) {
        if (claimed) {
            dedupe.settle(exchange.getProperty("tenantKey", TenantKey.class).tenant(), event.messageId(), outcome);
        }
        log(exchange, event.messageId(), event.type(), outcome);
        return new EventResult(event.index(), event.messageId(), event.type(), outcome);
    }

    /**
     * Whether a failure is answered at once rather than through the dead-letter channel: everything but the
     * permanent failure of an event — request-level refusals have no event to keep, retryable ones are
     * redelivered by the sender.
     */
    public boolean answeredAtOnce(Exchange exchange) {
        Throwable failure = decisive(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        if (failure == null) {
            failure = decisive(exchange.getException());
        }
        return SingleEvent.of(exchange) == null || !(failure instanceof OutcomeException known) || !DeadLetterChannel.keeps(known.outcome());
    }

    /**
     * The answer to the whole request (DESIGN §3). A single event: its outcome. A batch: 503 if any event must
     * be retried (the dedupe makes the redelivery safe), else the shared status when no event got through
     * (400 when they differ), else 200 — with one result per event.
     */
    public void answer(Exchange exchange) {
        SegmentRequest request = exchange.getProperty("segmentRequest", SegmentRequest.class);
        List<EventResult> results = complete(exchange.getMessage().getBody(EventResults.LIST_TYPE), request.events());
        if (!request.batch()) {
            EventResult only = results.get(0);
            write(exchange, only.outcome().httpStatus(), only.outcome().retryAfterSeconds(), body(only.outcome(), only.messageId()));
            return;
        }
        List<Outcome> outcomes = results.stream().map(EventResult::outcome).toList();
        Integer retryAfter = outcomes.stream().map(Outcome::retryAfterSeconds).filter(s -> s != null).max(Integer::compare).orElse(null);
        int status;
        String message;
        if (outcomes.stream().anyMatch(o -> o.httpStatus() >= 500 && o.httpStatus() != 501)) {
            status = 503;
            message = "some events were not processed and must be retried: see results";
            retryAfter = retryAfter == null ? Outcome.DEFAULT_RETRY_AFTER : retryAfter;
        } else if (outcomes.stream().allMatch(o -> o.httpStatus() >= 400 && o.httpStatus() != 501)) {
            status = outcomes.stream().map(Outcome::httpStatus).distinct().count() == 1 ? outcomes.get(0).httpStatus() : 400;
            message = "no event of the batch was accepted: see results";
            retryAfter = null;
        } else {
            status = 200;
            message = "batch processed: see results";
            retryAfter = null;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", message);
        body.put("results", results.stream().map(r -> body(r.outcome(), r.messageId())).toList());
        write(exchange, status, retryAfter, body);
    }

    /**
     * One result per event, in the sender's order. An event that somehow got none is answered as an internal
     * error (the sender retries it) rather than silently left out.
     */
    private static List<EventResult> complete(List<EventResult> gathered, List<Work> events) {
        EventResult[] byIndex = new EventResult[events.size()];
        if (gathered != null) {
            gathered.forEach(result -> byIndex[result.index()] = result);
        }
        List<EventResult> results = new ArrayList<>(events.size());
        for (int index = 0; index < events.size(); index++) {
            SingleEvent event = (SingleEvent) events.get(index);
            results.add(byIndex[index] != null ? byIndex[index] : new EventResult(index, event.messageId(), event.type(),
                    Outcome.internalError()));
        }
        return results;
    }

    private static Map<String, Object> body(Outcome outcome, String messageId) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (messageId != null) {
            body.put("messageId", messageId);
        }
        body.put("message", outcome.message());
        body.put("status", outcome.status());
        if (outcome.reason() != null) {
            body.put("reason", outcome.reason());
        }
        return body;
    }

    /** A JSON answer with only our headers (the dead-letter API's answers too). */
    public void write(Exchange exchange, int status, Integer retryAfterSeconds, Object body) {
        var message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (retryAfterSeconds != null) {
            message.setHeader("Retry-After", String.valueOf(retryAfterSeconds));
        }
        try {
            message.setBody(body == null ? null : json.writeValueAsString(body));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static final Map<String, String> OUTCOME_OF_STATUS = Map.of("delivered", "delivered", "duplicate", "duplicate",
            "skipped", "skipped", "rejected", "rejected", "unsupported", "rejected", "retry", "retried");

    private void log(Exchange exchange, String messageId, String type, Outcome outcome) {
        counters.event(type, OUTCOME_OF_STATUS.getOrDefault(outcome.status(), "rejected"), outcome.reason());
        TenantKey tenant = exchange.getProperty("tenantKey", TenantKey.class);
        LOG.infof("outcome messageId=%s type=%s tenant=%s status=%d outcome=%s reason=%s ms=%d",
                loggable(messageId), loggable(type), tenant == null ? "-" : tenant.tenant(), outcome.httpStatus(),
                outcome.status(), outcome.reason() == null ? "-" : outcome.reason(), RequestBudget.elapsedMillis(exchange));
    }

    /** Sender-controlled text as logs may carry it: bounded and on one line. */
    public static String loggable(String value) {
        if (value == null) {
            return "-";
        }
        String oneLine = value.replaceAll("[\\p{Cntrl}\\s]", "_");
        return oneLine.length() > 64 ? oneLine.substring(0, 64) + "…" : oneLine;
    }
}
