package destination.mailmodo.mapping;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Body of {@code POST {base}/addToList}: one contact upsert into a Mailmodo list.
 * {@code createdAt} is sent as received (ISO-8601 string or UNIX number).
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"email", "listName", "data", "created_at", "timezone"})
public record Contact(
        String email,
        String listName,
        Map<String, Object> data,
        @JsonProperty("created_at") Object createdAt,
        String timezone) {

    public Contact {
        // insertion order is kept so the request body reads like the traits it came from
        data = Collections.unmodifiableMap(data == null ? new LinkedHashMap<>() : new LinkedHashMap<>(data));
    }

    // no email, no values: a component or tracer that logs message bodies must not print personal data
    @Override
    public String toString() {
        return "Contact[listName=" + listName + ", properties=" + data.size() + "]";
    }
}
