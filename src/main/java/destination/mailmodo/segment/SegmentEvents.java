package destination.mailmodo.segment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.RejectedEvent;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SegmentRequest;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.Work;
import destination.mailmodo.store.Store;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * Reads one inbound request (DESIGN §3): a single Segment message, a {@code {"batch":[...]}} envelope or a bare
 * array. What is wrong with the request as a whole (size, shape) is thrown as a 4xx; what is wrong with one
 * event becomes a {@link RejectedEvent} in its place, so the rest of a batch is still worked and the bad
 * event reaches the dead-letter store.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("segmentEvents")
public class SegmentEvents {

    public static final int MAX_EVENT_BYTES = 32 * 1024;
    public static final int MAX_REQUEST_BYTES = 500 * 1024;
    public static final int MAX_BATCH_EVENTS = 2500;

    private static final Set<String> STRING_FIELDS = Set.of("type", "event", "messageId");
    private static final Set<String> ID_FIELDS = Set.of("userId", "anonymousId");
    private static final Set<String> OBJECT_FIELDS = Set.of("traits", "context", "properties", "integrations");
    private static final Set<String> MERGED_FIELDS = Set.of("context", "integrations");

    private static final EventRejected UNSUPPORTED_MEDIA_TYPE = new EventRejected(
            new Outcome(415, "rejected", "malformed", "Content-Type must be application/json", null));

    private final ObjectMapper json;

    public SegmentEvents(ObjectMapper json) {
        this.json = json;
    }

    /**
     * The inbound request's body read as JSON whatever its declared type (senders such as beacons say text/plain);
     * only a form or multipart body, which the HTTP layer has already taken apart, is a 415.
     */
    public SegmentRequest read(Exchange exchange) {
        String method = exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class);
        if (!"POST".equals(method)) {
            throw new EventRejected(new Outcome(405, "rejected", "malformed", "only POST is accepted", null));
        }
        String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
        String mediaType = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (mediaType.startsWith("application/x-www-form-urlencoded") || mediaType.startsWith("multipart/")) {
            throw UNSUPPORTED_MEDIA_TYPE;
        }
        Object body = exchange.getMessage().getBody();
        byte[] bytes = body == null ? null : exchange.getContext().getTypeConverter().tryConvertTo(byte[].class, exchange, body);
        if (body != null && bytes == null) {
            throw UNSUPPORTED_MEDIA_TYPE;
        }
        return parse(bytes);
    }

    /** The integrations filter's predicate: the event says {@code integrations.Mailmodo: false}. */
    public boolean mailmodoDisabled(Exchange exchange) {
        return exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class).mailmodoDisabled();
    }

    /** The content-based router's key. */
    public String typeOf(Exchange exchange) {
        return exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class).type();
    }

    public SegmentRequest parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw EventRejected.malformed("request body is empty: send one Segment event as a JSON object");
        }
        if (body.length > MAX_REQUEST_BYTES) {
            throw tooLarge("request body is larger than 500 KiB");
        }
        JsonNode root = readTree(body);
        if (root == null) {
            String raw = Store.storable(new String(body, 0, Math.min(body.length, MAX_EVENT_BYTES), StandardCharsets.UTF_8));
            return single(new RejectedEvent(0, null, null, raw, Outcome.rejected("malformed", "request body is not valid JSON")));
        }
        if (root.isArray()) {
            return batch(root, null);
        }
        if (root.isObject() && root.has("batch")) {
            return batch(root.get("batch"), (ObjectNode) root);
        }
        if (body.length > MAX_EVENT_BYTES) {
            throw tooLarge("event is larger than 32 KiB");
        }
        return single(event(0, root));
    }

    private SegmentRequest batch(JsonNode items, ObjectNode envelope) {
        if (!items.isArray()) {
            throw EventRejected.malformed("batch must be an array of events");
        }
        if (items.isEmpty()) {
            throw EventRejected.malformed("batch is empty");
        }
        if (items.size() > MAX_BATCH_EVENTS) {
            throw tooLarge("batch has more than 2500 events");
        }
        Map<String, JsonNode> shared = envelope == null ? Map.of() : sharedFields(envelope);
        List<Work> events = new ArrayList<>(items.size());
        for (int index = 0; index < items.size(); index++) {
            JsonNode item = items.get(index);
            if (item.isObject()) {
                shared.forEach((field, value) -> merge((ObjectNode) item, field, (ObjectNode) value));
            }
            events.add(item.toString().length() > MAX_EVENT_BYTES
                    ? rejected(index, item, new Outcome(413, "rejected", "too_large", "event is larger than 32 KiB", null))
                    : event(index, item));
        }
        return new SegmentRequest(true, events);
    }

    /** Envelope-level context/integrations apply to every item (DESIGN §3); other envelope fields are ignored. */
    private static Map<String, JsonNode> sharedFields(ObjectNode envelope) {
        Map<String, JsonNode> shared = new java.util.LinkedHashMap<>();
        for (String field : MERGED_FIELDS) {
            JsonNode value = envelope.get(field);
            if (value == null || value.isNull()) {
                continue;
            }
            if (!value.isObject()) {
                throw EventRejected.malformed("batch " + field + " must be an object");
            }
            shared.put(field, value);
        }
        return shared;
    }

    // the item's own keys win over the envelope's
    private static void merge(ObjectNode item, String field, ObjectNode shared) {
        JsonNode own = item.get(field);
        if (own == null || own.isNull()) {
            item.set(field, shared.deepCopy());
        } else if (own.isObject()) {
            shared.properties().forEach(entry -> {
                if (!own.has(entry.getKey())) {
                    ((ObjectNode) own).set(entry.getKey(), entry.getValue().deepCopy());
                }
            });
        }
    }

    /** One event: a valid {@link SegmentEvent}, or a {@link RejectedEvent} saying what is wrong with it. */
    Work event(int index, JsonNode node) {
        if (!node.isObject()) {
            return rejected(index, node, Outcome.rejected("malformed", "an event must be a JSON object"));
        }
        ObjectNode event = (ObjectNode) node;
        try {
            validateTypes(event);
        } catch (EventRejected invalid) {
            return rejected(index, event, invalid.outcome());
        }
        String type = text(event, "type");
        if (type == null || type.isBlank()) {
            return rejected(index, event, Outcome.rejected("malformed", "type is required"));
        }
        if (type.equals("track") && (text(event, "event") == null || text(event, "event").isBlank())) {
            return rejected(index, event, Outcome.rejected("missing_event", "track requires an event name"));
        }
        JsonNode integrations = event.path("integrations");
        boolean mailmodoDisabled = integrations.path("Mailmodo").isBoolean() && !integrations.path("Mailmodo").booleanValue();
        String messageId = text(event, "messageId");
        return new SegmentEvent(index, event, type, messageId != null ? messageId : derivedMessageId(event),
                text(event, "userId"), text(event, "anonymousId"), mailmodoDisabled);
    }

    private static RejectedEvent rejected(int index, JsonNode node, Outcome outcome) {
        JsonNode messageId = node.path("messageId");
        JsonNode type = node.path("type");
        return new RejectedEvent(index, messageId.isTextual() ? Store.storable(messageId.asText()) : null,
                type.isTextual() ? Store.storable(type.asText()) : null, node.toString(), outcome);
    }

    /** Same content, same id: a redelivered event without messageId still dedupes (DESIGN §7). */
    static String derivedMessageId(ObjectNode event) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(event.toString().getBytes(StandardCharsets.UTF_8));
            return "derived-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** @return the tree, or null when the body is not JSON at all */
    private JsonNode readTree(byte[] body) {
        try (JsonParser parser = json.getFactory().createParser(body)) {
            JsonNode root = json.readTree(parser);
            return root == null || parser.nextToken() != null ? null : root;
        } catch (IOException | RuntimeException notJson) {
            return null;
        }
    }

    private static EventRejected tooLarge(String message) {
        return new EventRejected(new Outcome(413, "rejected", "too_large", message, null));
    }

    private static SegmentRequest single(Work event) {
        return new SegmentRequest(false, List.of(event));
    }

    private static void validateTypes(ObjectNode event) {
        for (Map.Entry<String, JsonNode> field : event.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue; // libraries send explicit nulls (anonymousId: null); treated as absent
            }
            if (STRING_FIELDS.contains(name) && !value.isTextual()) {
                throw EventRejected.malformed(name + " must be a string");
            }
            // ids and names become keys in the store; PostgreSQL text cannot hold NUL
            if ((STRING_FIELDS.contains(name) || ID_FIELDS.contains(name)) && value.isTextual() && value.textValue().indexOf('\u0000') >= 0) {
                throw EventRejected.malformed(name + " must not contain NUL characters");
            }
            if (OBJECT_FIELDS.contains(name) && !value.isObject()) {
                throw EventRejected.malformed(name + " must be an object");
            }
            if (ID_FIELDS.contains(name) && !value.isTextual()) {
                if (!value.isNumber()) {
                    throw EventRejected.malformed(name + " must be a string");
                }
                field.setValue(TextNode.valueOf(value.asText())); // Segment allows numeric ids; stored and matched as text
            }
        }
        requireFiniteNumbers(event);
    }

    // 1e999 parses as Infinity, which no Mailmodo property, timestamp or id can hold
    private static void requireFiniteNumbers(JsonNode node) {
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                requireFiniteNumbers(child);
            }
        } else if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            throw EventRejected.malformed("numbers must be finite (within the range of a double)");
        }
    }

    private static String text(ObjectNode event, String field) {
        JsonNode value = event.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
