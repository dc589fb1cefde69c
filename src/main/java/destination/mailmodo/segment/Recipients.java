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
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Whose inbox an event is for (DESIGN §5): the event's own email, else the known-contact store. */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("recipients")
public class Recipients {

    static final int UNKNOWN_USER_RETRY_AFTER = 60;

    private final KnownContacts knownContacts;
    private final Duration unknownUserGrace;

    public Recipients(KnownContacts knownContacts,
            @ConfigProperty(name = "destination.unknown-user-grace") Duration unknownUserGrace) {
        this.knownContacts = knownContacts;
        this.unknownUserGrace = unknownUserGrace;
    }

    /** The identify route's step: the email of the event being worked. */
    public String identifyRecipient(Exchange exchange) {
        return forIdentify(exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class), exchange.getProperty("tenantKey", TenantKey.class));
    }

    /** The track route's step: the email, or null when the user is not known. */
    public String trackRecipient(Exchange exchange) {
        SegmentEvent event = exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class);
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        return ownEmail(event).or(() -> knownContacts.emailOf(tenant, event.userId(), event.anonymousId())).orElse(null);
    }

    public String forIdentify(SegmentEvent event, TenantKey tenant) {
        return ownEmail(event).or(() -> knownContacts.emailOfUser(tenant.tenant(), event.userId()))
                .orElseThrow(() -> new EventRejected(Outcome.rejected("no_email",
                        "email is required: the identify has no email and its userId is not known")));
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
