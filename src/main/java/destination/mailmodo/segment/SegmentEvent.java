package destination.mailmodo.segment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** One validated Segment message: the JSON (userId/anonymousId normalised to strings) and the fields routes key on. */
@RegisterForReflection
public record SegmentEvent(ObjectNode json, String type, String messageId, String userId, String anonymousId,
        boolean mailmodoDisabled) {

    public boolean isTrack() {
        return "track".equals(type);
    }
}
