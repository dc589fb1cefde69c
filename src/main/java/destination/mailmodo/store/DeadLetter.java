package destination.mailmodo.store;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** One kept permanent failure. {@code event} is the JSON as received, or the raw body when it was not JSON. */
@RegisterForReflection
public record DeadLetter(String id, String tenant, String messageId, String type, String reason, String message,
        String event, String listName, int attempts, long failedAt) {

    // without the event: a component or tracer that logs message bodies must not print personal data
    @Override
    public String toString() {
        return "DeadLetter[id=" + id + ", type=" + type + ", reason=" + reason + "]";
    }
}
