package destination.mailmodo.segment;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import destination.mailmodo.event.ContactBatch;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SegmentRequest;
import destination.mailmodo.event.Work;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The order the splitter works a request in. Without batch upserts: event by event, as sent. With them
 * ({@code mailmodo.identify.batch}), identifies of a batch request gather into {@link ContactBatch}es of at
 * most 100; a gathering is sent before any later event of one of its users, so each user's events keep
 * their order (an identify before that user's track) while other users' events may pass it.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("workPlan")
public class WorkPlan {

    public static final int MAX_CONTACTS_PER_CALL = 100;

    private final boolean batchUpserts;

    public WorkPlan(@ConfigProperty(name = "mailmodo.identify.batch") boolean batchUpserts) {
        this.batchUpserts = batchUpserts;
    }

    /** The splitter's expression: the request's work items, in order. */
    public List<Work> ofRequest(Exchange exchange) {
        return plan(exchange.getProperty("segmentRequest", SegmentRequest.class));
    }

    /** Whether the request is one event (not a batch envelope): it needs no splitter. */
    public boolean isSingle(Exchange exchange) {
        return !exchange.getProperty("segmentRequest", SegmentRequest.class).batch();
    }

    /** A single-event request's only work item. */
    public Work onlyWork(Exchange exchange) {
        return exchange.getProperty("segmentRequest", SegmentRequest.class).events().get(0);
    }

    /** Routing key of a work item: a single event (valid or not yet decided). */
    public boolean isEvent(Exchange exchange) {
        return "event".equals(exchange.getMessage().getBody(Work.class).kind());
    }

    public boolean isContactBatch(Exchange exchange) {
        return "contact-batch".equals(exchange.getMessage().getBody(Work.class).kind());
    }

    private List<Work> plan(SegmentRequest request) {
        if (!batchUpserts || !request.batch()) {
            return request.events();
        }
        List<Work> plan = new ArrayList<>();
        List<SegmentEvent> gathering = new ArrayList<>();
        Set<String> gatheredUsers = new HashSet<>();
        for (Work work : request.events()) {
            if (work instanceof SegmentEvent event && event.type().equals("identify")) {
                if (gathering.stream().anyMatch(gathered -> gathered.messageId().equals(event.messageId()))) {
                    flush(gathering, gatheredUsers, plan); // a repeated messageId is deduped against the first's outcome
                }
                gathering.add(event);
                gatheredUsers.addAll(users(event));
                if (gathering.size() == MAX_CONTACTS_PER_CALL) {
                    flush(gathering, gatheredUsers, plan);
                }
                continue;
            }
            if (work instanceof SegmentEvent event && users(event).stream().anyMatch(gatheredUsers::contains)) {
                flush(gathering, gatheredUsers, plan);
            }
            plan.add(work);
        }
        flush(gathering, gatheredUsers, plan);
        return plan;
    }

    private static void flush(List<SegmentEvent> gathering, Set<String> gatheredUsers, List<Work> plan) {
        if (gathering.size() == 1) {
            plan.add(gathering.get(0)); // one identify alone keeps the single call (and its list journeys)
        } else if (gathering.size() > 1) {
            plan.add(new ContactBatch(List.copyOf(gathering)));
        }
        gathering.clear();
        gatheredUsers.clear();
    }

    private static Set<String> users(SegmentEvent event) {
        Set<String> users = new HashSet<>();
        if (event.userId() != null) {
            users.add("u:" + event.userId());
        }
        if (event.anonymousId() != null) {
            users.add("a:" + event.anonymousId());
        }
        return users;
    }
}
