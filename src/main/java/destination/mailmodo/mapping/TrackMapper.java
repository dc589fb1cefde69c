package destination.mailmodo.mapping;

import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Segment {@code track} → Mailmodo custom event. */
@RegisterForReflection // named in routes/*.yaml
public final class TrackMapper {

    private TrackMapper() {
    }

    /** {@code email} is resolved by the caller (from the event or the known-contact store). */
    public static CustomEvent toEvent(JsonNode event, String email) {
        Long ts = EventTime.of(event).map(Instant::getEpochSecond).orElse(null);
        return new CustomEvent(email, event.path("event").textValue(), ts,
                ScalarProperties.flatten(event.path("properties")));
    }
}
