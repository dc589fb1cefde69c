package destination.mailmodo.segment;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * Parses and validates one inbound Segment message against the field types of DESIGN §3. Everything wrong
 * with the input becomes a 4xx outcome here, before any routing.
 */
@ApplicationScoped
@Named("segmentEvents")
public class SegmentEvents {

    public static final int MAX_EVENT_BYTES = 32 * 1024;

    private static final Set<String> STRING_FIELDS = Set.of("type", "event", "messageId");
    private static final Set<String> ID_FIELDS = Set.of("userId", "anonymousId");
    private static final Set<String> OBJECT_FIELDS = Set.of("traits", "context", "properties", "integrations");

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
    public SegmentEvent read(Exchange exchange) {
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

    public SegmentEvent parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw EventRejected.malformed("request body is empty: send one Segment event as a JSON object");
        }
        if (body.length > MAX_EVENT_BYTES) {
            throw new EventRejected(new Outcome(413, "rejected", "too_large", "event is larger than 32 KiB", null));
        }
        JsonNode root = readTree(body);
        if (root.isArray() || (root.isObject() && root.has("batch"))) {
            throw new EventRejected(Outcome.unsupported("batch_unsupported", "batch requests are not supported yet"));
        }
        if (!root.isObject()) {
            throw EventRejected.malformed("request body must be a JSON object (one Segment event)");
        }
        ObjectNode event = (ObjectNode) root;
        validateTypes(event);
        String type = text(event, "type");
        if (type == null || type.isBlank()) {
            throw EventRejected.malformed("type is required");
        }
        if (type.equals("track") && (text(event, "event") == null || text(event, "event").isBlank())) {
            throw new EventRejected(Outcome.rejected("missing_event", "track requires an event name"));
        }
        JsonNode integrations = event.path("integrations");
        boolean mailmodoDisabled = integrations.path("Mailmodo").isBoolean() && !integrations.path("Mailmodo").booleanValue();
        return new SegmentEvent(event, type, text(event, "messageId"), text(event, "userId"), text(event, "anonymousId"),
                mailmodoDisabled);
    }

    private JsonNode readTree(byte[] body) {
        try (JsonParser parser = json.getFactory().createParser(body)) {
            JsonNode root = json.readTree(parser);
            if (root == null) {
                throw EventRejected.malformed("request body is empty: send one Segment event as a JSON object");
            }
            if (parser.nextToken() != null) {
                throw EventRejected.malformed("request body is not valid JSON: content after the event");
            }
            return root;
        } catch (IOException | RuntimeException notJson) {
            if (notJson instanceof EventRejected rejected) {
                throw rejected;
            }
            throw EventRejected.malformed("request body is not valid JSON");
        }
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
