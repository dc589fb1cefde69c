package destination.mailmodo.event;

import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** What one POST carried: a single event, or a batch (envelope or bare array), in the sender's order. */
@RegisterForReflection
public record SegmentRequest(boolean batch, List<Work> events) {
}
