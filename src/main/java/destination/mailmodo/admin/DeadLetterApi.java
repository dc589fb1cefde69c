package destination.mailmodo.admin;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.segment.DeadLetterChannel;
import destination.mailmodo.segment.Deduplication;
import destination.mailmodo.segment.Outcomes;
import destination.mailmodo.segment.SegmentEvents;
import destination.mailmodo.segment.SegmentSettings;
import destination.mailmodo.store.DeadLetter;
import destination.mailmodo.store.DeadLetters;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * The dead-letter API (DESIGN §8), scoped to the tenant whose key the caller presents: list newest first
 * with a cursor, replay (all or some) through the same event route, delete one.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("deadLetterApi")
public class DeadLetterApi {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    private final DeadLetters deadLetters;
    private final SegmentEvents segmentEvents;
    private final SegmentSettings settings;
    private final Outcomes outcomes;
    private final ObjectMapper json;

    public DeadLetterApi(DeadLetters deadLetters, SegmentEvents segmentEvents, SegmentSettings settings, Outcomes outcomes,
            ObjectMapper json) {
        this.deadLetters = deadLetters;
        this.segmentEvents = segmentEvents;
        this.settings = settings;
        this.outcomes = outcomes;
        this.json = json;
    }

    /** Only {@code limit} and {@code before} may be in the query: anything else (a credential) is refused. */
    public void checkQuery(String query) {
        for (Map.Entry<String, String> parameter : parameters(query).entrySet()) {
            if (!parameter.getKey().equals("limit") && !parameter.getKey().equals("before")) {
                throw EventRejected.malformed("unknown query parameter: only limit and before are accepted");
            }
        }
    }

    public void list(Exchange exchange) {
        Map<String, String> query = parameters(exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class));
        int limit = limit(query.get("limit"));
        long beforeFailedAt = Long.MAX_VALUE;
        String beforeId = "";
        if (query.containsKey("before")) {
            String[] cursor = decodeCursor(query.get("before"));
            beforeFailedAt = Long.parseLong(cursor[0]);
            beforeId = cursor[1];
        }
        List<DeadLetter> page = deadLetters.page(tenant(exchange), beforeFailedAt, beforeId, limit + 1);
        List<Map<String, Object>> shown = new ArrayList<>();
        for (DeadLetter letter : page.subList(0, Math.min(limit, page.size()))) {
            shown.add(view(letter));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("deadLetters", shown);
        DeadLetter last = page.size() > limit ? page.get(limit - 1) : null;
        body.put("next", last == null ? null : encodeCursor(last));
        outcomes.write(exchange, 200, null, body);
    }

    /**
     * {@code {}} replays all the tenant's dead letters, {@code {"ids":[...]}} those: the body becomes the list to
     * replay, and the {@code replaying} property its size.
     */
    public void select(Exchange exchange) {
        JsonNode request;
        try {
            String text = exchange.getMessage().getBody(String.class);
            request = text == null || text.isBlank() ? json.createObjectNode() : json.readTree(text);
        } catch (Exception notJson) {
            throw EventRejected.malformed("replay body must be {} or {\"ids\":[...]}");
        }
        if (request == null || !request.isObject() || request.size() > (request.has("ids") ? 1 : 0)
                || (request.has("ids") && !request.get("ids").isArray())) {
            throw EventRejected.malformed("replay body must be {} or {\"ids\":[...]}");
        }
        List<DeadLetter> chosen;
        if (request.has("ids")) {
            List<String> ids = new ArrayList<>();
            request.get("ids").forEach(id -> ids.add(id.asText()));
            chosen = deadLetters.find(tenant(exchange), ids);
        } else {
            chosen = deadLetters.all(tenant(exchange));
        }
        exchange.getMessage().setBody(chosen);
        exchange.setProperty("replaying", chosen.size());
    }

    public void accepted(Exchange exchange) {
        outcomes.write(exchange, 202, null, Map.of("replaying", exchange.getProperty("replaying", Integer.class)));
    }

    /** One dead letter becomes the event it was, marked as a replay: the dedupe check is bypassed. */
    public Object prepareReplay(Exchange exchange) {
        DeadLetter letter = exchange.getMessage().getBody(DeadLetter.class);
        exchange.setProperty(Deduplication.REPLAY, true);
        exchange.setProperty(DeadLetterChannel.REPLAYED_ID, letter.id());
        exchange.setProperty(RequestBudget.ARRIVED_AT, System.currentTimeMillis());
        exchange.setProperty("listName", letter.listName() != null ? letter.listName() : settings.listName(null));
        return segmentEvents.parse(letter.event().getBytes(StandardCharsets.UTF_8)).events().get(0);
    }

    public void delete(Exchange exchange) {
        String id = exchange.getMessage().getHeader("id", String.class);
        if (deadLetters.delete(tenant(exchange), id)) {
            outcomes.write(exchange, 204, null, null);
        } else {
            outcomes.write(exchange, 404, null, Map.of("message", "no such dead letter", "status", "rejected", "reason", "not_found"));
        }
    }

    private Map<String, Object> view(DeadLetter letter) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", letter.id());
        view.put("messageId", letter.messageId());
        view.put("type", letter.type());
        view.put("reason", letter.reason());
        view.put("message", letter.message());
        view.put("attempts", letter.attempts());
        view.put("failedAt", Instant.ofEpochMilli(letter.failedAt()).toString());
        Object event;
        try {
            event = json.readTree(letter.event());
        } catch (Exception raw) {
            event = letter.event(); // a body that was not JSON is shown as it came
        }
        view.put("event", event);
        return view;
    }

    private static int limit(String value) {
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException notNumber) {
            // answered below
        }
        throw EventRejected.malformed("limit must be a number from 1 to " + MAX_LIMIT);
    }

    private static String encodeCursor(DeadLetter last) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.failedAt() + ":" + last.id()).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decodeCursor(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":", 2);
            Long.parseLong(parts[0]);
            return parts;
        } catch (RuntimeException invalid) {
            throw EventRejected.malformed("before must be a cursor from a previous page's next");
        }
    }

    private static Map<String, String> parameters(String query) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (query == null || query.isBlank()) {
            return parameters;
        }
        for (String pair : query.split("&")) {
            String[] nameValue = pair.split("=", 2);
            String name = java.net.URLDecoder.decode(nameValue[0], StandardCharsets.UTF_8);
            parameters.put(name, nameValue.length > 1 ? java.net.URLDecoder.decode(nameValue[1], StandardCharsets.UTF_8) : "");
        }
        return parameters;
    }

    private static String tenant(Exchange exchange) {
        return exchange.getProperty("tenantKey", TenantKey.class).tenant();
    }
}
