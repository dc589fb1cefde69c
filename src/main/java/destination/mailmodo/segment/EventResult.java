package destination.mailmodo.segment;

import destination.mailmodo.event.Outcome;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The outcome of the event at {@code index} of its request. */
@RegisterForReflection
public record EventResult(int index, String messageId, String type, Outcome outcome) {
}
