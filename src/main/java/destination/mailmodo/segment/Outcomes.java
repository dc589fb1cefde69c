package destination.mailmodo.segment;

import java.io.InterruptedIOException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.mailmodo.MailmodoAuthException;
import destination.mailmodo.store.StoreUnavailable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

/**
 * Writes the one answer a sender gets (status, JSON body, Retry-After — no other header leaves) and the one
 * log line per event outcome. Logs carry the tenant prefix, never the key, an email or a trait value.
 */
@ApplicationScoped
@Named("outcomes")
public class Outcomes {

    private static final Logger LOG = Logger.getLogger("destination.mailmodo.outcome");

    private final ObjectMapper json;
    private final InboundAuth auth;

    public Outcomes(ObjectMapper json, InboundAuth auth) {
        this.json = json;
        this.auth = auth;
    }

    public void delivered(Exchange exchange) {
        respond(exchange, Outcome.delivered());
    }

    /** A filter dropped the event on purpose; its {@code dropReason} header says why. */
    public void skipped(Exchange exchange) {
        String reason = exchange.getMessage().getHeader("dropReason", String.class);
        respond(exchange, Outcome.skipped(reason, SKIP_MESSAGES.getOrDefault(reason, "skipped")));
    }

    private static final Map<String, String> SKIP_MESSAGES = Map.of(
            "integration_disabled", "skipped: integrations.Mailmodo is false");
    private static final Set<String> SEGMENT_CALLS = Set.of("page", "screen", "group", "alias", "delete");

    /** Segment's code for a call a destination does not support is 501. */
    public void unsupported(Exchange exchange) {
        String type = exchange.getProperty("segmentEvent", SegmentEvent.class).type();
        respond(exchange, Outcome.unsupported("unsupported_type", SEGMENT_CALLS.contains(type)
                ? type + " calls are not supported by the Mailmodo destination"
                : "only identify and track calls are supported"));
    }

    /** The single place where any exception of an event's processing turns into the sender's answer. */
    public void failed(Exchange exchange) {
        respond(exchange, outcomeOf(decisive(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class)), exchange));
    }

    // bean and expression calls wrap what our code threw: the first outcome or I/O failure in the chain decides
    static Throwable decisive(Throwable failure) {
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
        if (failure instanceof InterruptedIOException) {
            return Outcome.retry("timeout", "Mailmodo did not answer in time", Outcome.DEFAULT_RETRY_AFTER);
        }
        if (failure instanceof IOException) {
            return Outcome.retry("mailmodo_unavailable", "Mailmodo could not be reached", Outcome.DEFAULT_RETRY_AFTER);
        }
        // class and place only: exception messages can quote the event
        StackTraceElement where = failure == null || failure.getStackTrace().length == 0 ? null : failure.getStackTrace()[0];
        LOG.errorf("internal error in route %s: %s at %s", exchange.getFromRouteId(),
                failure == null ? "unknown" : failure.getClass().getName(), where);
        return new Outcome(500, "retry", "internal_error", "internal error: the event was not delivered", null);
    }

    public void respond(Exchange exchange, Outcome outcome) {
        SegmentEvent event = exchange.getProperty("segmentEvent", SegmentEvent.class);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", outcome.message());
        body.put("status", outcome.status());
        if (outcome.reason() != null) {
            body.put("reason", outcome.reason());
        }
        if (event != null && event.messageId() != null) {
            body.put("messageId", event.messageId());
        }
        var message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, outcome.httpStatus());
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (outcome.retryAfterSeconds() != null) {
            message.setHeader("Retry-After", String.valueOf(outcome.retryAfterSeconds()));
        }
        try {
            message.setBody(json.writeValueAsString(body));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
        log(exchange, event, outcome);
    }

    private static void log(Exchange exchange, SegmentEvent event, Outcome outcome) {
        TenantKey tenant = exchange.getProperty("tenantKey", TenantKey.class);
        long ms = System.currentTimeMillis() - exchange.getClock().getCreated();
        LOG.infof("outcome messageId=%s type=%s tenant=%s status=%d outcome=%s reason=%s ms=%d",
                event == null ? "-" : loggable(event.messageId()), event == null ? "-" : loggable(event.type()),
                tenant == null ? "-" : tenant.tenant(), outcome.httpStatus(), outcome.status(),
                outcome.reason() == null ? "-" : outcome.reason(), ms);
    }

    // sender-controlled text: bounded and on one line
    static String loggable(String value) {
        if (value == null) {
            return "-";
        }
        String oneLine = value.replaceAll("[\\p{Cntrl}\\s]", "_");
        return oneLine.length() > 64 ? oneLine.substring(0, 64) + "…" : oneLine;
    }
}
