package destination.mailmodo.segment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.event.ContactBatch;
import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.mapping.IdentifyMapper;
import destination.mailmodo.store.KnownContacts;
import destination.mailmodo.store.Store;
import destination.mailmodo.store.StoreUnavailable;
import destination.mailmodo.store.UnrecordedOutcomes;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * Several identifies of one request as one {@code /addToList/batch} call (DESIGN §5): each is filtered,
 * deduped and mapped as a single identify would be; the call's answer is then spread back over them —
 * a 207 names the emails Mailmodo refused, which are dead-lettered while the rest count as delivered.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("contactBatches")
public class ContactBatches {

    public static final String CALL = "contactBatch";

    private final RequestBudget budget;
    private final Deduplication dedupe;
    private final Recipients recipients;
    private final KnownContacts knownContacts;
    private final DeadLetterChannel deadLetterChannel;
    private final Outcomes outcomes;
    private final ObjectMapper json;
    private final Store store;
    private final UnrecordedOutcomes unrecorded;

    public ContactBatches(RequestBudget budget, Deduplication dedupe, Recipients recipients, KnownContacts knownContacts,
            DeadLetterChannel deadLetterChannel, Outcomes outcomes, ObjectMapper json, Store store, UnrecordedOutcomes unrecorded) {
        this.unrecorded = unrecorded;
        this.budget = budget;
        this.dedupe = dedupe;
        this.recipients = recipients;
        this.knownContacts = knownContacts;
        this.deadLetterChannel = deadLetterChannel;
        this.outcomes = outcomes;
        this.json = json;
        this.store = store;
    }

    /** Decides what it can per identify and sets the call's request body; the call itself is the route's. */
    public void prepare(Exchange exchange) {
        ContactBatch batch = exchange.getMessage().getBody(ContactBatch.class);
        TenantKey tenantKey = exchange.getProperty("tenantKey", TenantKey.class);
        String listName = exchange.getProperty("listName", String.class);
        exchange.setProperty(CALL, new ContactBatchCall()); // a failure from here on is answered for every identify
        boolean spent = budget.spent(exchange);
        // decided (and kept) in one commit: only once it is on disk do the decisions count; if it fails, nothing
        // was kept or claimed, and every identify is answered as the store's failure (the sender retries)
        ContactBatchCall staged = new ContactBatchCall();
        // what waits in memory for these keys is written first, on its own: the shared commit below may fail
        dedupe.writeWaiting(tenantKey.tenant(), batch.events().stream().map(SegmentEvent::messageId).toList());
        try {
            store.inOneCommit(() -> {
                for (SegmentEvent event : batch.events()) {
                    if (spent) {
                        staged.decided(outcomes.result(exchange, event, Outcome.notReached(), false));
                    } else if (event.mailmodoDisabled()) {
                        staged.decided(outcomes.result(exchange, event, Outcome.integrationDisabled(), false));
                    } else {
                        prepareOne(exchange, staged, event, tenantKey, listName);
                    }
                }
                return null;
            });
        } catch (StoreUnavailable down) {
            ContactBatchCall failed = new ContactBatchCall();
            batch.events().forEach(event -> failed.decided(outcomes.result(exchange, event, down.outcome(), false)));
            exchange.setProperty(CALL, failed);
            exchange.getMessage().setBody(null);
            return;
        }
        ContactBatchCall call = staged;
        exchange.setProperty(CALL, call);
        exchange.getMessage().setBody(call.isEmpty() ? null : call.request(listName));
    }

    private void prepareOne(Exchange exchange, ContactBatchCall call, SegmentEvent event, TenantKey tenantKey, String listName) {
        java.util.Optional<Outcome> duplicate;
        try {
            duplicate = dedupe.claim(tenantKey.tenant(), event.messageId());
        } catch (StoreUnavailable down) {
            call.decided(outcomes.result(exchange, event, down.outcome(), false));
            return;
        }
        if (duplicate.isPresent()) {
            call.decided(outcomes.result(exchange, event, duplicate.get(), false));
            return;
        }
        try {
            String email = recipients.forIdentify(event, tenantKey);
            call.pending(new ContactBatchCall.Pending(event, IdentifyMapper.toContact(event.json(), email, listName), true));
        } catch (EventRejected refused) {
            call.decided(outcomes.result(exchange, event, deadLetterChannel.keepOne(exchange, event, refused.outcome()), true));
        } catch (StoreUnavailable down) {
            call.decided(outcomes.result(exchange, event, down.outcome(), true));
        }
    }

    /** The results when there was nothing left to send. */
    public List<EventResult> decidedOnly(Exchange exchange) {
        return exchange.getProperty(CALL, ContactBatchCall.class).decided();
    }

    /**
     * Mailmodo answered 2xx: refused emails (207) are dead letters, every other identify is delivered and learned.
     * Nothing Mailmodo took is answered as anything but delivered: if the store cannot record it, it waits in
     * memory until it can ({@link UnrecordedOutcomes}), so the sender's redelivery never sends it again.
     */
    public List<EventResult> complete(Exchange exchange) {
        ContactBatchCall call = exchange.getProperty(CALL, ContactBatchCall.class);
        TenantKey tenantKey = exchange.getProperty("tenantKey", TenantKey.class);
        Map<String, String> refused = refusedEmails(json, exchange.getMessage().getBody(String.class));
        List<EventResult> results = new ArrayList<>(call.decided());
        List<ContactBatchCall.Pending> accepted = new ArrayList<>();
        Map<ContactBatchCall.Pending, String> rejected = new LinkedHashMap<>();
        for (ContactBatchCall.Pending identify : call.pending()) {
            String reason = refused.get(identify.contact().email().toLowerCase(Locale.ROOT));
            if (reason != null) {
                rejected.put(identify, reason);
            } else {
                accepted.add(identify);
            }
        }
        if (!accepted.isEmpty()) {
            List<ContactBatchCall.Pending> recorded = new ArrayList<>();
            try {
                unrecorded.inOneCommit(store, () -> {
                    for (ContactBatchCall.Pending identify : accepted) {
                        results.add(delivered(exchange, identify, tenantKey));
                        recorded.add(identify);
                    }
                    return null;
                });
            } catch (StoreUnavailable commitFailed) {
                // the writes of the failed commit wait in memory; if it never started, the rest are recorded one by
                // one (each kept in memory if the store refuses): those identifies stay delivered either way
                for (ContactBatchCall.Pending identify : accepted) {
                    if (!recorded.contains(identify)) {
                        results.add(delivered(exchange, identify, tenantKey));
                    }
                }
            }
        }
        if (!rejected.isEmpty()) {
            results.addAll(keepRejected(exchange, rejected));
        }
        return results;
    }

    private EventResult delivered(Exchange exchange, ContactBatchCall.Pending identify, TenantKey tenantKey) {
        knownContacts.learnFromIdentify(identify.event(), tenantKey, identify.contact().email());
        return outcomes.result(exchange, identify.event(), Outcome.delivered(), identify.claimed());
    }

    /** Contacts a 207 refused: dead letters kept in one commit; if it fails, the sender retries them (503). */
    private List<EventResult> keepRejected(Exchange exchange, Map<ContactBatchCall.Pending, String> rejected) {
        Map<ContactBatchCall.Pending, Outcome> decided = new LinkedHashMap<>();
        try {
            store.inOneCommit(() -> {
                rejected.forEach((identify, reason) -> decided.put(identify, deadLetterChannel.keepOne(exchange, identify.event(),
                        Outcome.rejected("mailmodo_rejected", "Mailmodo rejected the contact: " + reason))));
                return null;
            });
        } catch (StoreUnavailable down) {
            rejected.keySet().forEach(identify -> decided.put(identify, down.outcome()));
        }
        List<EventResult> results = new ArrayList<>();
        decided.forEach((identify, outcome) -> results.add(outcomes.result(exchange, identify.event(), outcome, identify.claimed())));
        return results;
    }

    /** A 207's {@code errors: [{email, "failure reason"}]}, by lower-cased email. */
    static Map<String, String> refusedEmails(ObjectMapper json, String answer) {
        Map<String, String> refused = new HashMap<>();
        try {
            JsonNode errors = answer == null ? null : json.readTree(answer).path("errors");
            if (errors != null && errors.isArray()) {
                for (JsonNode error : errors) {
                    String email = error.path("email").asText("");
                    String reason = error.path("failure reason").asText(error.path("message").asText("refused"));
                    refused.put(email.toLowerCase(Locale.ROOT), reason);
                }
            }
        } catch (Exception notJson) {
            // a 2xx without a readable body: nothing was listed as refused
        }
        return refused;
    }
}
