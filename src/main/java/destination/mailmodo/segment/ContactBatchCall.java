package destination.mailmodo.segment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.mapping.Contact;

/**
 * One {@code /addToList/batch} call in the making: the identifies it carries (each with its contact and
 * whether this request holds its dedupe key) and the results of those decided without it (skipped,
 * duplicate, refused).
 */
public final class ContactBatchCall {

    /** An identify riding on the call. */
    public record Pending(SegmentEvent event, Contact contact, boolean claimed) {
    }

    private final List<EventResult> decided = new ArrayList<>();
    private final List<Pending> pending = new ArrayList<>();

    void decided(EventResult result) {
        decided.add(result);
    }

    void pending(Pending identify) {
        pending.add(identify);
    }

    public List<EventResult> decided() {
        return decided;
    }

    public List<Pending> pending() {
        return pending;
    }

    public boolean isEmpty() {
        return pending.isEmpty();
    }

    /**
     * The request body: one value per email (Mailmodo refuses duplicates in one call), the later identify's
     * traits winning over the earlier's, key by key.
     */
    public Map<String, Object> request(String listName) {
        Map<String, Map<String, Object>> byEmail = new LinkedHashMap<>();
        for (Pending identify : pending) {
            Contact contact = identify.contact();
            Map<String, Object> value = byEmail.computeIfAbsent(contact.email().toLowerCase(Locale.ROOT), e -> new LinkedHashMap<>());
            value.put("email", contact.email());
            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) value.computeIfAbsent("data", d -> new LinkedHashMap<String, Object>());
            data.putAll(contact.data());
            if (contact.createdAt() != null) {
                value.put("created_at", contact.createdAt());
            }
            if (contact.timezone() != null) {
                value.put("timezone", contact.timezone());
            }
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("listName", listName);
        request.put("values", new ArrayList<>(byEmail.values()));
        return request;
    }

    // without contacts: a component or tracer that logs message bodies must not print personal data
    @Override
    public String toString() {
        return "ContactBatchCall[pending=" + pending.size() + ", decided=" + decided.size() + "]";
    }
}
