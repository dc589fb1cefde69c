package destination.mailmodo.segment;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.delivery.DeliveryRetries;
import destination.mailmodo.delivery.MailmodoRateLimit;
import destination.mailmodo.delivery.MailmodoRequestBodies;
import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SegmentRequest;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.mapping.Contact;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.DefaultExchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Concurrent single-event identifies of one tenant (and list) share {@code /addToList/batch} calls — what
 * Segment sends during an audience sync, one request per contact — so a plan of R calls a second carries up to
 * 100 × R contacts. Each identify goes through the event route's steps as a lone one does (budget, integrations,
 * dedupe claim, recipient, mapping); only its delivery is shared. Group commit: one call per tenant and list is
 * under way at a time; identifies ready meanwhile gather and go together in the next one (at most 100; an
 * identify alone keeps its own {@code /addToList} call). The next call starts once its key has a rate-limit permit
 * free, so under the limit each call carries everything that gathered meanwhile (calls of one group are spaced by
 * 1/{@code mailmodo.rate-limit} of a second, so they spread over the second); a gathering waits at most
 * {@code mailmodo.identify.linger} for that permit, then its call waits in the rate limiter like any other. Each
 * identify then goes on through its own route with its own result: delivered, refused alone (a 207's error), or
 * the call's failure once its redelivery as a whole gave up (route {@code retried-delivery}). Nothing waits on a
 * thread: gatherings are timers and callbacks. Off when {@code mailmodo.identify.batch=false} or the linger is zero.
 * Hand-written: Camel's aggregator completes groups by size or timeout, not by "the previous call answered".
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("identifyGatherings")
public class IdentifyGatherings {

    /** The {@link Hold} of the request an identify of a contact batch belongs to. */
    public static final String HOLD = "gatheringHold";
    /** How often a gathering looks for its key's free rate-limit permit while it lingers. */
    private static final long PERMIT_POLL_MILLIS = 5;

    private final boolean enabled;
    private final long lingerMillis;
    private final RequestBudget budget;
    private final MailmodoRateLimit rateLimit;
    private final MailmodoRequestBodies requestBodies;
    private final ObjectMapper json;
    private final CamelContext camel;
    private final Vertx vertx;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final RetriedDelivery retriedDelivery;

    public IdentifyGatherings(@ConfigProperty(name = "mailmodo.identify.batch") boolean batchUpserts,
            @ConfigProperty(name = "mailmodo.identify.linger") Duration linger, RequestBudget budget, MailmodoRateLimit rateLimit,
            MailmodoRequestBodies requestBodies, ObjectMapper json, CamelContext camel, Vertx vertx, RetriedDelivery retriedDelivery) {
        this.lingerMillis = linger.toMillis();
        this.enabled = batchUpserts && lingerMillis > 0;
        this.budget = budget;
        this.rateLimit = rateLimit;
        this.requestBodies = requestBodies;
        this.json = json;
        this.camel = camel;
        this.vertx = vertx;
        this.retriedDelivery = retriedDelivery;
    }

    /**
     * Whether this identify shares a call: one of a request's contact batch ({@link ContactBatches}), or its
     * request's only event (not a replay of a dead letter) while gathering is on.
     */
    public boolean acceptsWork(Exchange exchange) {
        if (exchange.getProperty(HOLD) != null) {
            return true;
        }
        SegmentRequest request = exchange.getProperty("segmentRequest", SegmentRequest.class);
        return enabled && request != null && !request.batch() && exchange.getProperty(DeadLetterChannel.REPLAYED_ID) == null;
    }

    /**
     * The identifies of one request that go together: the gathering of their tenant and list starts no call until
     * each of them has joined it or finished without it.
     */
    public final class Hold {
        private final Group group;
        private final Set<Exchange> expected = new HashSet<>();
        private boolean started;
        private boolean released;

        private Hold(Group group) {
            this.group = group;
        }

        /** One of the request's identifies, about to go through the event route. */
        public synchronized void expect(Exchange identify) {
            identify.setProperty(HOLD, this);
            expected.add(identify);
        }

        /** The identify joined the gathering, or finished without it. */
        public void arrived(Exchange identify) {
            synchronized (this) {
                if (!expected.remove(identify) || !started || !expected.isEmpty() || released) {
                    return;
                }
                released = true;
            }
            release(group);
        }

        /** Every identify of the request has started. */
        public void started() {
            synchronized (this) {
                started = true;
                if (!expected.isEmpty() || released) {
                    return;
                }
                released = true;
            }
            release(group);
        }
    }

    /** Holds the next call of the exchange's tenant and list until the request's identifies are in. */
    public Hold hold(Exchange exchange) {
        while (true) {
            Group group = groupOf(exchange);
            synchronized (group) {
                if (!group.retired) {
                    group.holds++;
                    return new Hold(group);
                }
            }
        }
    }

    /** Forgets a group with nothing under way, waiting or held (the caller holds its lock). */
    private void retireIfIdle(Group group) {
        if (!group.sending && group.holds == 0 && group.waiting.isEmpty()) {
            group.retired = true;
            groups.remove(group.key, group);
        }
    }

    /** How many tenant-and-list gatherings are in memory now (idle ones are forgotten). */
    public int groupsTracked() {
        return groups.size();
    }

    private void release(Group group) {
        boolean start;
        synchronized (group) {
            group.holds--;
            start = group.holds == 0 && !group.sending && !group.waiting.isEmpty();
            if (start) {
                group.sending = true;
            } else {
                retireIfIdle(group);
            }
        }
        if (start) {
            nextCall(group);
        }
    }

    private Group groupOf(Exchange exchange) {
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        return groups.computeIfAbsent(tenant + "\n" + exchange.getProperty("listName", String.class), k -> new Group(k, tenant));
    }

    /**
     * The identify route's delivery when it gathers ({@code process: ref: gatheredContact}): the route goes on once
     * the call carrying its contact answered, on the event loop it came from.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("gatheredContact")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class Step extends AsyncProcessorSupport {

        private final IdentifyGatherings gatherings;

        public Step(IdentifyGatherings gatherings) {
            this.gatherings = gatherings;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return gatherings.join(exchange, callback);
        }
    }

    /** One identify waiting for a call. */
    private static final class Member {
        final Exchange exchange;
        final AsyncCallback callback;
        final Context context; // where its route resumes (null: not called on a Vert.x thread)
        final AtomicBoolean finished = new AtomicBoolean();
        long timer = -1;

        Member(Exchange exchange, AsyncCallback callback, Context context) {
            this.exchange = exchange;
            this.callback = callback;
            this.context = context;
        }

        SegmentEvent event() {
            return exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class);
        }

        Contact contact() {
            return exchange.getProperty(MailmodoRequestBodies.CONTACT, Contact.class);
        }
    }

    /** The identifies of one tenant and list: whether a call is under way (or about to start), and those waiting. */
    private static final class Group {
        final String key;
        final String tenant;
        boolean retired; // idle and forgotten: a caller still holding it looks the key up again
        boolean sending; // a call is under way, or about to start
        int holds; // requests whose identifies are still on their way in
        long lastCallStarted = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
        final Deque<Member> waiting = new ArrayDeque<>();

        Group(String key, String tenant) {
            this.key = key;
            this.tenant = tenant;
        }
    }

    boolean join(Exchange exchange, AsyncCallback callback) { // not private: called through the client proxy
        Member member = new Member(exchange, callback, Vertx.currentContext());
        Group group;
        boolean start;
        while (true) {
            group = groupOf(exchange);
            synchronized (group) {
                if (group.retired) {
                    continue; // forgotten just now: the next lookup makes a fresh one
                }
                group.waiting.add(member);
                start = !group.sending && group.holds == 0;
                if (start) {
                    group.sending = true;
                }
            }
            break;
        }
        Group joined = group;
        Hold hold = exchange.getProperty(HOLD, Hold.class);
        if (hold != null) {
            hold.arrived(exchange);
        }
        // not taken into a call within its budget: answered as not reached (503, nothing was sent)
        member.timer = vertx.setTimer(Math.max(1, budget.remainingMillis(exchange)), id -> {
            synchronized (joined) {
                if (!joined.waiting.remove(member)) {
                    return; // a call took it: the call answers it
                }
            }
            finish(member, () -> exchange.setException(new EventRejected(Outcome.notReached())));
        });
        if (start) {
            nextCall(joined);
        }
        return false;
    }

    /**
     * Starts the group's next call: no sooner than 1/rate-limit of a second after its previous one, and once the key
     * has a rate-limit permit free — gathering meanwhile, at most the linger for both.
     */
    private void nextCall(Group group) {
        long now = System.nanoTime();
        long spacedUntil;
        synchronized (group) {
            spacedUntil = group.lastCallStarted + rateLimit.spacingNanos();
        }
        long lingerUntil = now + TimeUnit.MILLISECONDS.toNanos(lingerMillis);
        long spacingMillis = Math.min(TimeUnit.NANOSECONDS.toMillis(spacedUntil - now), lingerMillis);
        if (spacingMillis > 0) {
            vertx.setTimer(spacingMillis, id -> whenPermitFree(group, lingerUntil));
        } else {
            // a turn of the event loop: identifies resumed by the same commit join before the call leaves
            vertx.runOnContext(ignored -> whenPermitFree(group, lingerUntil));
        }
    }

    private void whenPermitFree(Group group, long lingerUntil) {
        if (rateLimit.hasFreePermit(group.tenant) || System.nanoTime() >= lingerUntil) {
            startCall(group);
        } else {
            vertx.setTimer(PERMIT_POLL_MILLIS, id -> whenPermitFree(group, lingerUntil));
        }
    }

    private void startCall(Group group) {
        List<Member> taken = new ArrayList<>();
        synchronized (group) {
            if (group.holds > 0) {
                group.sending = false; // a request's identifies are still coming: its hold's release starts the call
                return;
            }
            group.lastCallStarted = System.nanoTime();
            while (taken.size() < WorkPlan.MAX_CONTACTS_PER_CALL && !group.waiting.isEmpty()) {
                taken.add(group.waiting.poll());
            }
        }
        List<Member> going = new ArrayList<>();
        for (Member member : taken) {
            vertx.cancelTimer(member.timer);
            // an identify that no longer fits one attempt is answered at once and does not shorten the call
            if (budget.remainingMillis(member.exchange) <= budget.attemptMillis()) {
                finish(member, () -> member.exchange.setException(new EventRejected(Outcome.notReached())));
            } else {
                going.add(member);
            }
        }
        try {
            send(group, going);
        } catch (RuntimeException e) {
            handOver(group);
            going.forEach(member -> finish(member, () -> member.exchange.setException(e)));
        }
    }

    private void send(Group group, List<Member> going) {
        if (going.isEmpty()) {
            handOver(group);
        } else if (going.size() == 1) {
            Member alone = going.get(0); // its own /addToList call, as the identify route's delivery makes it
            try {
                requestBodies.contactRequest(alone.exchange);
            } catch (JsonProcessingException impossible) {
                throw new IllegalStateException(impossible);
            }
            retriedDelivery.process(alone.exchange, doneSync -> {
                handOver(group);
                finish(alone, () -> { });
            });
        } else {
            Exchange call = callOf(group, going);
            retriedDelivery.deliver(call, doneSync -> {
                handOver(group);
                spread(call, going);
            });
        }
    }

    /** The call under way ended: those that gathered meanwhile go in the next one. */
    private void handOver(Group group) {
        synchronized (group) {
            if (group.waiting.isEmpty()) {
                group.sending = false;
                retireIfIdle(group);
                return;
            }
        }
        nextCall(group);
    }

    private Exchange callOf(Group group, List<Member> members) {
        Exchange first = members.get(0).exchange;
        Exchange call = new DefaultExchange(camel);
        call.setProperty("tenantKey", first.getProperty("tenantKey"));
        String listName = first.getProperty("listName", String.class);
        call.setProperty("listName", listName);
        // the call's budget is the earliest arrival's: no member is answered after its own deadline
        long earliest = members.stream().mapToLong(m -> m.exchange.getProperty(RequestBudget.ARRIVED_AT, Long.class)).min().orElseThrow();
        call.setProperty(RequestBudget.ARRIVED_AT, earliest);
        call.getMessage().setBody(request(listName, members));
        call.setProperty("mailmodoPath", "addToList/batch");
        try {
            requestBodies.contactBatch(call);
        } catch (JsonProcessingException impossible) {
            call.setException(impossible);
        }
        return call;
    }

    /**
     * The call's answer, per identify: a 207 names the emails Mailmodo refused (each such identify fails as
     * rejected, and its route keeps it as a dead letter); every other one was delivered. A failed call fails each
     * identify the same way, with what its route's error handling needs to decide (the failure, where the call was
     * cut, one more attempt made).
     */
    private void spread(Exchange call, List<Member> members) {
        Exception failure = call.getException();
        Map<String, String> refused = failure == null ? refusedEmails(call.getMessage().getBody(String.class)) : Map.of();
        Object answer = call.getMessage().getBody();
        int attempts = call.getProperty(DeliveryRetries.ATTEMPTS, 1, Integer.class);
        for (Member member : members) {
            Exchange exchange = member.exchange;
            finish(member, () -> {
                // the call's attempts count as its own: a call its redelivery gave up on is not retried again per identify
                exchange.setProperty(DeliveryRetries.ATTEMPTS, exchange.getProperty(DeliveryRetries.ATTEMPTS, 0, Integer.class) + attempts);
                if (failure != null) {
                    RetriedDelivery.failedAs(call, exchange);
                    return;
                }
                String reason = refused.get(member.contact().email().toLowerCase(Locale.ROOT));
                if (reason != null) {
                    exchange.setException(new EventRejected(Outcome.rejected("mailmodo_rejected", "Mailmodo rejected the contact: " + reason)));
                } else {
                    exchange.getMessage().setBody(answer);
                }
            });
        }
    }

    /**
     * The {@code /addToList/batch} request: one value per email (Mailmodo refuses duplicates in one call), a later
     * identify's traits winning over an earlier one's, key by key — later by arrival, and within one request by its
     * order.
     */
    private static Map<String, Object> request(String listName, List<Member> members) {
        List<Member> inOrder = new ArrayList<>(members);
        inOrder.sort(Comparator.comparingLong((Member m) -> m.exchange.getProperty(RequestBudget.ARRIVED_AT, Long.class))
                .thenComparingInt(m -> m.event().index()));
        Map<String, Map<String, Object>> byEmail = new LinkedHashMap<>();
        for (Member member : inOrder) {
            Contact contact = member.contact();
            Map<String, Object> value = byEmail.computeIfAbsent(contact.email().toLowerCase(Locale.ROOT), e -> new LinkedHashMap<>());
            value.put("email", contact.email());
            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) value.computeIfAbsent("data", d -> new LinkedHashMap<String, Object>());
            data.putAll(contact.data());
            if (contact.createdAt() != null) {
                value.put("created_at", contact.createdAt());
            }
            if (contact.timezone() != null) {
                value.put("timezone", contact.timezone());
            }
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("listName", listName);
        request.put("values", new ArrayList<>(byEmail.values()));
        return request;
    }

    /** A 207's {@code errors: [{email, "failure reason"}]}, by lower-cased email. */
    private Map<String, String> refusedEmails(String answer) {
        Map<String, String> refused = new HashMap<>();
        try {
            JsonNode errors = answer == null ? null : json.readTree(answer).path("errors");
            if (errors != null && errors.isArray()) {
                for (JsonNode error : errors) {
                    String email = error.path("email").asText("");
                    String reason = error.path("failure reason").asText(error.path("message").asText("refused"));
                    refused.put(email.toLowerCase(Locale.ROOT), reason);
                }
            }
        } catch (Exception notJson) {
            // a 2xx without a readable body: nothing was listed as refused
        }
        return refused;
    }

    /** Settles the identify's delivery once and resumes its route where it came from. */
    private static void finish(Member member, Runnable outcome) {
        if (!member.finished.compareAndSet(false, true)) {
            return;
        }
        if (member.context == null) {
            outcome.run();
            member.callback.done(false);
        } else {
            member.context.runOnContext(ignored -> {
                outcome.run();
                member.callback.done(false);
            });
        }
    }
}
