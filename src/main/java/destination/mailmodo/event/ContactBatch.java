package destination.mailmodo.event;

import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Identifies of one request that share one {@code /addToList/batch} call. */
@RegisterForReflection
public record ContactBatch(List<SegmentEvent> events) implements Work {

    @Override
    public String kind() {
        return "contact-batch";
    }
}
