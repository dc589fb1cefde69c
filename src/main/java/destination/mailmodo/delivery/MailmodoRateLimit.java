package destination.mailmodo.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.TenantKey;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * At most {@code mailmodo.rate-limit} Mailmodo calls per API key in any sliding second (DESIGN §6), per
 * instance. Each call holds one of the key's permits from before it is sent until one second after its answer
 * (or failure): Mailmodo sees a call arrive between those two instants, so it can never see more than the
 * limit inside one second, whatever the network's latency. Wait-or-reject: a call waits for a permit only as
 * long as the wait and one attempt fit the request's budget, else it is refused at once (503, the sender
 * retries). It runs inside the retried unit, so every retry takes a permit too. Calls to /addToList/batch
 * also take the key's single batch permit (Mailmodo allows one at a time).
 */
@ApplicationScoped
@Named("mailmodoRateLimit")
public class MailmodoRateLimit {

    static final long WINDOW_MILLIS = 1000;
    static final long IDLE_SECONDS = 60;
    private static final String HELD = "mailmodoPermitsHeld";

    /** The local limit would have held the call past the request's deadline. */
    @RegisterForReflection
    public static final class RateLimited extends OutcomeException {
        RateLimited() {
            super(Outcome.retry("rate_limited", "the Mailmodo rate limit for this API key is reached; retry later",
                    Outcome.DEFAULT_RETRY_AFTER));
        }
    }

    private final int limit;
    private final RequestBudget budget;
    private final DeliveryCounters counters;
    private final Map<String, AsyncPermits> calls = new ConcurrentHashMap<>();
    private final Map<String, AsyncPermits> batchCalls = new ConcurrentHashMap<>();
    private final ScheduledExecutorService releases = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "mailmodo-rate-limit");
        thread.setDaemon(true);
        return thread;
    });

    public MailmodoRateLimit(@ConfigProperty(name = "mailmodo.rate-limit") int limit, RequestBudget budget, DeliveryCounters counters) {
        this.limit = limit;
        this.budget = budget;
        this.counters = counters;
        releases.scheduleWithFixedDelay(this::forgetIdleKeys, IDLE_SECONDS, IDLE_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * The delivery unit's step before each attempt ({@code process: ref: rateLimitPermit}): the key's permit(s) taken
     * at once when free, else waited for without a thread — the route resumes where it came from once they are
     * granted, or fails with {@link RateLimited} when the wait and one attempt would no longer fit the budget.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("rateLimitPermit")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class PermitStep extends AsyncProcessorSupport {

        private final MailmodoRateLimit limit;

        public PermitStep(MailmodoRateLimit limit) {
            this.limit = limit;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return limit.acquire(exchange, callback);
        }
    }

    boolean acquire(Exchange exchange, AsyncCallback callback) { // not private: called through the client proxy
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        boolean batch = "addToList/batch".equals(exchange.getProperty("mailmodoPath", String.class));
        AsyncPermits single;
        while (true) {
            single = permits(tenant);
            AsyncPermits oneAtATime = batch ? batchCalls.computeIfAbsent(tenant, t -> new AsyncPermits(1, releases)) : null;
            try {
                if (single.tryAcquire()) {
                    if (oneAtATime == null || tryAcquire(oneAtATime, single)) {
                        exchange.setProperty(HELD, batch ? 2 : 1);
                        counters.rateLimitWaited(0);
                        callback.done(true);
                        return true;
                    }
                    single.release();
                }
                break;
            } catch (AsyncPermits.Retired forgotten) {
                // an idle key's permits were just retired: the next lookup makes fresh ones
            }
        }
        return await(exchange, callback, tenant, single, batch);
    }

    /** The batch permit after the key's permit: on a retired one, the key's permit goes back first. */
    private static boolean tryAcquire(AsyncPermits oneAtATime, AsyncPermits single) {
        try {
            return oneAtATime.tryAcquire();
        } catch (AsyncPermits.Retired forgotten) {
            single.release();
            throw forgotten;
        }
    }

    /** Waits for the permits without a thread, within the budget. */
    private boolean await(Exchange exchange, AsyncCallback callback, String tenant, AsyncPermits single, boolean batch) {
        long started = System.nanoTime();
        Context caller = Vertx.currentContext();
        long deadline = System.currentTimeMillis() + maxWaitMillis(exchange);
        single.acquire(deadline - System.currentTimeMillis(), gotSingle -> {
            if (!gotSingle || !batch) {
                granted(exchange, callback, caller, started, gotSingle ? 1 : 0);
                return;
            }
            while (true) {
                // looked up now: the batch permit may have been retired while this call waited for the key's
                AsyncPermits oneAtATime = batchCalls.computeIfAbsent(tenant, t -> new AsyncPermits(1, releases));
                try {
                    oneAtATime.acquire(deadline - System.currentTimeMillis(), gotBatch -> {
                        if (!gotBatch) {
                            single.release();
                        }
                        granted(exchange, callback, caller, started, gotBatch ? 2 : 0);
                    });
                    return;
                } catch (AsyncPermits.Retired forgotten) {
                    // look again
                }
            }
        });
        return false;
    }

    /** The wait is over: the route goes on where it came from, with the permits held or refused. */
    private void granted(Exchange exchange, AsyncCallback callback, Context caller, long waitStarted, int held) {
        counters.rateLimitWaited(System.nanoTime() - waitStarted);
        Runnable resume = () -> {
            if (held > 0) {
                exchange.setProperty(HELD, held);
            } else {
                exchange.setException(new RateLimited());
            }
            callback.done(false);
        };
        if (caller != null) {
            caller.runOnContext(ignored -> resume.run());
        } else {
            resume.run();
        }
    }

    /** The even spacing of calls that uses the key's limit over a second: 1 s / mailmodo.rate-limit. */
    public long spacingNanos() {
        return TimeUnit.MILLISECONDS.toNanos(WINDOW_MILLIS) / limit;
    }

    /** Whether the key has a permit free now (nothing taken): a gathering of identifies gathers until then. */
    public boolean hasFreePermit(String tenant) {
        return permits(tenant).available() > 0;
    }

    /** After each attempt, answered or not: the rate permit returns a second later, the batch permit now. */
    public void release(Exchange exchange) {
        Integer held = exchange.getProperty(HELD, Integer.class);
        if (held == null) {
            return;
        }
        exchange.removeProperty(HELD);
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        if (held == 2) {
            batchCalls.get(tenant).release();
        }
        AsyncPermits single = calls.get(tenant);
        releases.schedule(single::release, WINDOW_MILLIS, TimeUnit.MILLISECONDS);
    }

    private AsyncPermits permits(String tenant) {
        return calls.computeIfAbsent(tenant, t -> new AsyncPermits(limit, releases));
    }

    /** Forgets the permits of keys idle for a minute (all permits back, nobody waiting): one set per tenant ever seen otherwise. */
    void forgetIdleKeys() {
        long idle = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
        calls.entrySet().removeIf(entry -> entry.getValue().retireIfIdle(idle));
        batchCalls.entrySet().removeIf(entry -> entry.getValue().retireIfIdle(idle));
    }

    /** How many keys have permits in memory now. */
    int keysTracked() {
        return calls.size();
    }

    private long maxWaitMillis(Exchange exchange) {
        return Math.max(0, budget.remainingMillis(exchange) - budget.attemptMillis());
    }

    @PreDestroy
    void stop() {
        releases.shutdownNow();
    }
}
