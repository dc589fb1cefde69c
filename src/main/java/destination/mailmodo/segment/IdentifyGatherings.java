package destination.mailmodo.segment;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import destination.mailmodo.delivery.MailmodoRateLimit;
import destination.mailmodo.event.ContactBatch;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SegmentRequest;
import destination.mailmodo.event.TenantKey;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Concurrent single-event identifies of one tenant (and list) share {@code /addToList/batch} calls — what
 * Segment sends during an audience sync, one request per contact — so a plan of R calls a second carries up to
 * 100 × R contacts. Group commit: one call per tenant and list is under way at a time; identifies arriving
 * meanwhile gather and go together in the next one (at most 100; an identify alone keeps its own
 * {@code /addToList} call). The next call starts once its key has a rate-limit permit free, so under the
 * limit each call carries everything that gathered meanwhile (calls of one group are spaced by a
 * 1/{@code mailmodo.rate-limit} of a second, so they spread over the second); a gathering waits at most
 * {@code mailmodo.identify.linger} for that permit, then its call waits in the rate limiter like any other.
 * Each request is answered with its own outcome. Off when {@code mailmodo.identify.batch=false} or the linger is
 * zero.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("identifyGatherings")
public class IdentifyGatherings {

    private final boolean enabled;
    private final long lingerMillis;
    private final RequestBudget budget;
    private final ProducerTemplate producer;
    private final MailmodoRateLimit rateLimit;
    private final Outcomes outcomes;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();

    public IdentifyGatherings(@ConfigProperty(name = "mailmodo.identify.batch") boolean batchUpserts,
            @ConfigProperty(name = "mailmodo.identify.linger") Duration linger, RequestBudget budget, ProducerTemplate producer,
            MailmodoRateLimit rateLimit, Outcomes outcomes) {
        this.lingerMillis = linger.toMillis();
        this.enabled = batchUpserts && lingerMillis > 0;
        this.budget = budget;
        this.producer = producer;
        this.rateLimit = rateLimit;
        this.outcomes = outcomes;
    }

    /** Whether this work item may gather: an identify that is its request's only event. */
    public boolean acceptsWork(Exchange exchange) {
        return enabled && !exchange.getProperty("segmentRequest", SegmentRequest.class).batch()
                && exchange.getMessage().getBody() instanceof SegmentEvent event && "identify".equals(event.type())
                && !event.mailmodoDisabled();
    }

    /** One identify waiting for its place in a call, and then for its result. */
    private static final class Member {
        final SegmentEvent event;
        final Exchange exchange;
        final CompletableFuture<Boolean> turn = new CompletableFuture<>(); // true: lead the next call
        volatile EventResult result;

        Member(SegmentEvent event, Exchange exchange) {
            this.event = event;
            this.exchange = exchange;
        }
    }

    /** The identifies of one tenant and list: the one call under way, and those waiting for the next. */
    private static final class Group {
        boolean sending;
        long lastCallStarted = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
        final Deque<Member> waiting = new ArrayDeque<>();
    }

    /**
     * Joins the tenant's gathering and returns once this identify's outcome is known: the body is then its
     * result, or, when it went on its own through the event route, that route's answer.
     */
    public void join(Exchange exchange) throws InterruptedException {
        SegmentEvent event = exchange.getMessage().getBody(SegmentEvent.class);
        String key = exchange.getProperty("tenantKey", TenantKey.class).tenant() + "\n" + exchange.getProperty("listName", String.class);
        Group group = groups.computeIfAbsent(key, k -> new Group());
        Member member = new Member(event, exchange);
        boolean lead;
        synchronized (group) {
            if (!group.sending) {
                group.sending = true;
                lead = true;
            } else if (group.waiting.stream().anyMatch(other -> other.event.messageId().equals(event.messageId()))) {
                alone(exchange); // a redelivery racing its first copy: the dedupe claim decides
                return;
            } else {
                group.waiting.add(member);
                lead = false;
            }
        }
        if (!lead) {
            switch (awaitTurn(group, member)) {
                case RESULT -> {
                    answer(exchange, member.result != null ? member.result : notReached(member));
                    return;
                }
                case TOO_LATE -> {
                    answer(exchange, notReached(member));
                    return;
                }
                case LEAD -> {
                    // leads the next call
                }
            }
        }
        send(group, member);
    }

    private enum Turn { LEAD, RESULT, TOO_LATE }

    /** Waits for a place in a call, within the request's budget. */
    private Turn awaitTurn(Group group, Member member) throws InterruptedException {
        try {
            try {
                return member.turn.get(Math.max(1, budget.remainingMillis(member.exchange)), TimeUnit.MILLISECONDS) ? Turn.LEAD
                        : Turn.RESULT;
            } catch (TimeoutException late) {
                synchronized (group) {
                    if (group.waiting.remove(member)) {
                        member.turn.complete(false);
                        return Turn.TOO_LATE; // no call took it in time
                    }
                }
                // taken into a call just now, or handed the lead: the call ends within its own budget
                try {
                    return member.turn.get(budget.attemptMillis(), TimeUnit.MILLISECONDS) ? Turn.LEAD : Turn.RESULT;
                } catch (TimeoutException stillLate) {
                    if (member.turn.complete(false)) {
                        return Turn.TOO_LATE; // its result, if any, is kept by the dedupe key for the redelivery
                    }
                    return Boolean.TRUE.equals(member.turn.getNow(false)) ? Turn.LEAD : Turn.RESULT;
                }
            }
        } catch (InterruptedException interrupted) {
            synchronized (group) {
                group.waiting.remove(member);
            }
            if (!member.turn.complete(false) && Boolean.TRUE.equals(member.turn.getNow(false))) {
                handOver(group); // it was handed the lead: pass it on
            }
            throw interrupted;
        } catch (ExecutionException impossible) {
            return Turn.TOO_LATE;
        }
    }

    /** The leader sends itself and everyone waiting (up to 100) in one call; whatever happens, it hands over. */
    private void send(Group group, Member leader) throws InterruptedException {
        List<Member> members = new ArrayList<>();
        members.add(leader);
        try {
            // the call could not start before its key has a rate-limit permit free: gather until then (at most
            // the linger); and calls of one group are spaced by 1/rate-limit of a second, so under the limit they
            // spread evenly over the second instead of spending its permits at once on small gatherings
            long spacedUntil;
            synchronized (group) {
                spacedUntil = group.lastCallStarted + rateLimit.spacingNanos();
            }
            long spacing = TimeUnit.NANOSECONDS.toMillis(spacedUntil - System.nanoTime());
            if (spacing > 0) {
                Thread.sleep(Math.min(spacing, lingerMillis));
            }
            rateLimit.awaitFreePermit(leader.exchange, lingerMillis);
            synchronized (group) {
                group.lastCallStarted = System.nanoTime();
                while (members.size() < WorkPlan.MAX_CONTACTS_PER_CALL && !group.waiting.isEmpty()) {
                    members.add(group.waiting.poll());
                }
            }
            // an identify that no longer fits one attempt is answered at once and does not shorten the call
            List<Member> going = new ArrayList<>();
            for (Member member : members) {
                if (budget.remainingMillis(member.exchange) <= budget.attemptMillis()) {
                    member.result = notReached(member);
                } else {
                    going.add(member);
                }
            }
            if (going.size() == 1 && going.get(0) == leader) {
                alone(leader.exchange); // answered by the event route, on its exchange
            } else if (!going.isEmpty()) {
                Map<Member, EventResult> results = call(leader.exchange, going);
                going.forEach(member -> member.result = results.get(member));
            }
        } finally {
            for (Member member : members) {
                if (member != leader) {
                    member.turn.complete(false); // its result is in place (or it is answered as not reached)
                }
            }
            handOver(group);
        }
        if (leader.result != null) {
            answer(leader.exchange, leader.result);
        }
    }

    /** Answered 503 (the sender redelivers), logged and counted like every outcome; nothing was claimed. */
    private EventResult notReached(Member member) {
        return outcomes.result(member.exchange, member.event, Outcome.notReached(), false);
    }

    private Map<Member, EventResult> call(Exchange leaderExchange, List<Member> members) {
        Exchange call = new DefaultExchange(leaderExchange.getContext());
        call.setProperty("tenantKey", leaderExchange.getProperty("tenantKey"));
        call.setProperty("listName", leaderExchange.getProperty("listName"));
        // the call's budget is the earliest arrival's: no member is answered after its own deadline
        long earliest = members.stream().mapToLong(m -> m.exchange.getProperty(RequestBudget.ARRIVED_AT, Long.class)).min().orElseThrow();
        call.setProperty(RequestBudget.ARRIVED_AT, earliest);
        call.getMessage().setBody(new ContactBatch(members.stream().map(m -> m.event).toList()));
        producer.send("direct:identify-batch", call);
        Map<String, EventResult> byMessageId = new HashMap<>();
        Object body = call.getMessage().getBody();
        if (body instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof EventResult result) {
                    byMessageId.put(result.messageId(), result);
                }
            }
        }
        Map<Member, EventResult> results = new HashMap<>();
        for (Member member : members) {
            EventResult result = byMessageId.get(member.event.messageId());
            Outcome outcome = result != null ? result.outcome() : Outcome.internalError();
            results.put(member, new EventResult(member.event.index(), member.event.messageId(), member.event.type(), outcome));
        }
        return results;
    }

    /** The call under way ended: the first identify waiting leads the next one. */
    private void handOver(Group group) {
        synchronized (group) {
            Member next;
            while ((next = group.waiting.poll()) != null) {
                if (next.turn.complete(true)) {
                    return;
                }
            }
            group.sending = false;
        }
    }

    /** One identify on its own, through the event route (its outcome, or its failure, lands on the exchange). */
    private void alone(Exchange exchange) {
        producer.send("direct:event", exchange);
    }

    private static void answer(Exchange exchange, EventResult result) {
        exchange.getMessage().setBody(List.of(result));
    }
}
