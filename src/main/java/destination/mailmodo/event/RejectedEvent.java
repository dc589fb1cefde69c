package destination.mailmodo.event;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** An event validation refused: what the sender sent (raw when it was not JSON) and why. */
@RegisterForReflection
public record RejectedEvent(int index, String messageId, String type, String raw, Outcome outcome) implements Work, SingleEvent {

    @Override
    public String kind() {
        return "rejected";
    }

    // without the raw event: a component or tracer that logs message bodies must not print personal data
    @Override
    public String toString() {
        return "RejectedEvent[index=" + index + ", type=" + type + ", messageId=" + messageId + ", reason=" + outcome.reason() + "]";
    }
}
