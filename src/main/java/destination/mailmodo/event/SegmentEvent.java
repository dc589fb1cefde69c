package destination.mailmodo.event;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One validated Segment message at position {@code index} of its request: the JSON (ids normalised to strings,
 * batch context merged in) and the fields routes key on. {@code messageId} is the sender's, or derived from
 * the content when the sender gave none, so redeliveries still dedupe.
 */
@RegisterForReflection
public record SegmentEvent(int index, ObjectNode json, String type, String messageId, String userId, String anonymousId,
        boolean mailmodoDisabled) implements Work, SingleEvent {

    @Override
    public String kind() {
        return "event";
    }

    // without the JSON: a component or tracer that logs message bodies must not print traits or emails
    @Override
    public String toString() {
        return "SegmentEvent[index=" + index + ", type=" + type + ", messageId=" + messageId + "]";
    }
}
