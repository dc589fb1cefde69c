package destination.mailmodo.mapping;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Body of {@code POST {base}/addEvent}: one custom event. {@code ts} is UNIX seconds; when it is
 * null the field is left out and Mailmodo uses the time of the call.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"email", "event_name", "ts", "event_properties"})
public record CustomEvent(
        String email,
        @JsonProperty("event_name") String eventName,
        Long ts,
        @JsonProperty("event_properties") Map<String, Object> eventProperties) {

    public CustomEvent {
        // Mailmodo expects the object even when empty, so null becomes {}
        eventProperties = Collections.unmodifiableMap(
                eventProperties == null ? new LinkedHashMap<>() : new LinkedHashMap<>(eventProperties));
    }

    // no email, no values: a component or tracer that logs message bodies must not print personal data
    @Override
    public String toString() {
        return "CustomEvent[eventName=" + eventName + ", properties=" + eventProperties.size() + "]";
    }
}
