package destination.mailmodo.segment;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.mapping.EmailAddress;
import destination.mailmodo.mapping.EventTime;
import destination.mailmodo.store.KnownContacts;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Whose inbox an event is for (DESIGN §5): the event's own email, else the known-contact store. */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("recipients")
public class Recipients {

    static final int UNKNOWN_USER_RETRY_AFTER = 60;
    private static final String EMAIL = "email";

    private final KnownContacts knownContacts;
    private final Duration unknownUserGrace;

    public Recipients(KnownContacts knownContacts,
            @ConfigProperty(name = "destination.unknown-user-grace") Duration unknownUserGrace) {
        this.knownContacts = knownContacts;
        this.unknownUserGrace = unknownUserGrace;
    }

    /** A route step resolving the email (property {@code email}) without blocking the event loop. */
    abstract static class Step extends AsyncProcessorSupport {

        private final Recipients recipients;
        private final boolean identify;

        Step(Recipients recipients, boolean identify) {
            this.recipients = recipients;
            this.identify = identify;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return recipients.resolve(exchange, callback, identify);
        }
    }

    /** The track route's step ({@code process: ref: trackRecipient}): the event's own email, else the known contact's, else null. */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("trackRecipient")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class TrackStep extends Step {

        public TrackStep(Recipients recipients) {
            super(recipients, false);
        }
    }

    /**
     * The identify route's step ({@code process: ref: identifyRecipient}): the event's own email, else the one known
     * for its userId; rejected ({@code no_email}) when neither.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("identifyRecipient")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class IdentifyStep extends Step {

        public IdentifyStep(Recipients recipients) {
            super(recipients, true);
        }
    }

    boolean resolve(Exchange exchange, AsyncCallback callback, boolean identify) { // not private: called through the client proxy
        SegmentEvent event = exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class);
        Optional<String> own;
        try {
            own = ownEmail(event);
        } catch (RuntimeException rejected) {
            exchange.setException(rejected);
            callback.done(true);
            return true;
        }
        if (own.isPresent()) {
            exchange.setProperty(EMAIL, own.get());
            callback.done(true);
            return true;
        }
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        return knownContacts.emailOf(exchange, callback, tenant, event.userId(), identify ? null : event.anonymousId(),
                (resolved, email) -> {
                    if (identify && email.isEmpty()) {
                        throw noEmail();
                    }
                    resolved.setProperty(EMAIL, email.orElse(null));
                });
    }

    private static EventRejected noEmail() {
        return new EventRejected(Outcome.rejected("no_email", "email is required: the identify has no email and its userId is not known"));
    }

    /**
     * Identify and track are not ordered in Segment: a young event may be waiting for its identify. Young means
     * within the grace window either side of now (clock skew); far-future times count as old, or the sender
     * would be told to retry for as long as it keeps retrying.
     */
    public void unknownUser(Exchange exchange) {
        Optional<Instant> happened = EventTime.of(exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class).json());
        if (happened.isPresent() && Duration.between(happened.get(), Instant.now()).abs().compareTo(unknownUserGrace) < 0) {
            throw new EventRejected(Outcome.retry("unknown_user",
                    "user is not known yet: no identify with an email has been delivered for it; retry later",
                    UNKNOWN_USER_RETRY_AFTER));
        }
        throw new EventRejected(Outcome.rejected("unknown_user",
                "unknown user: no identify with an email was delivered for this userId or anonymousId"));
    }

    // an invalid email is rejected, never replaced by a stored one
    private static Optional<String> ownEmail(SegmentEvent event) {
        Optional<String> email = EmailAddress.find(event.json());
        if (email.isPresent() && !EmailAddress.isValid(email.get())) {
            throw new EventRejected(Outcome.rejected("invalid_email", "email is not a valid address"));
        }
        return email;
    }
}
