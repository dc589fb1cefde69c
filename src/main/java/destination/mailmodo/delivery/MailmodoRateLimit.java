package destination.mailmodo.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.OutcomeException;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.store.StoreWork;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
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
    private final Map<String, Semaphore> calls = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> batchCalls = new ConcurrentHashMap<>();
    private final ScheduledExecutorService releases = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "mailmodo-rate-limit");
        thread.setDaemon(true);
        return thread;
    });

    public MailmodoRateLimit(@ConfigProperty(name = "mailmodo.rate-limit") int limit, RequestBudget budget, DeliveryCounters counters) {
        this.limit = limit;
        this.budget = budget;
        this.counters = counters;
    }

    /**
     * The delivery unit's step before each attempt ({@code process: ref: rateLimitPermit}): the key's permit(s) taken
     * at once when free; on the event loop, a wait for them moves off it first ({@link StoreWork}), bounded as
     * {@link #acquire} says.
     */
    @Singleton // no client proxy: Camel calls process() on the instance
    @Named("rateLimitPermit")
    @RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
    public static class PermitStep extends AsyncProcessorSupport {

        private final MailmodoRateLimit limit;
        private final StoreWork offTheEventLoop;

        public PermitStep(MailmodoRateLimit limit, StoreWork offTheEventLoop) {
            this.limit = limit;
            this.offTheEventLoop = offTheEventLoop;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            if (Context.isOnEventLoopThread() && limit.tryAcquireNow(exchange)) {
                callback.done(true);
                return true;
            }
            return offTheEventLoop.runBlocking(exchange, callback, this::acquire);
        }

        private void acquire(Exchange exchange) {
            try {
                limit.acquire(exchange);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for a rate-limit permit", e);
            }
        }
    }

    /** The key's permit(s) when free now, in the fair order of the waiting; false (nothing taken) when not. */
    boolean tryAcquireNow(Exchange exchange) {
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        boolean batch = "addToList/batch".equals(exchange.getProperty("mailmodoPath", String.class));
        Semaphore single = permits(tenant);
        try {
            if (!single.tryAcquire(0, TimeUnit.MILLISECONDS)) {
                return false;
            }
            if (batch && !batchCalls.computeIfAbsent(tenant, t -> new Semaphore(1, true)).tryAcquire(0, TimeUnit.MILLISECONDS)) {
                single.release();
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        exchange.setProperty(HELD, batch ? 2 : 1);
        counters.rateLimitWaited(0);
        return true;
    }

    /** Before each attempt: waits for the key's permit(s) or refuses the call. */
    public void acquire(Exchange exchange) throws InterruptedException {
        long started = System.nanoTime();
        try {
            acquirePermits(exchange);
        } finally {
            counters.rateLimitWaited(System.nanoTime() - started);
        }
    }

    private void acquirePermits(Exchange exchange) throws InterruptedException {
        String tenant = exchange.getProperty("tenantKey", TenantKey.class).tenant();
        boolean batch = "addToList/batch".equals(exchange.getProperty("mailmodoPath", String.class));
        Semaphore single = permits(tenant);
        if (!single.tryAcquire(maxWaitMillis(exchange), TimeUnit.MILLISECONDS)) {
            throw new RateLimited();
        }
        if (batch) {
            Semaphore oneAtATime = batchCalls.computeIfAbsent(tenant, t -> new Semaphore(1, true));
            boolean acquired = false;
            try {
                acquired = oneAtATime.tryAcquire(maxWaitMillis(exchange), TimeUnit.MILLISECONDS);
            } finally {
                if (!acquired) {
                    single.release();
                }
            }
            if (!acquired) {
                throw new RateLimited();
            }
        }
        exchange.setProperty(HELD, batch ? 2 : 1);
    }

    /** The even spacing of calls that uses the key's limit over a second: 1 s / mailmodo.rate-limit. */
    public long spacingNanos() {
        return TimeUnit.MILLISECONDS.toNanos(WINDOW_MILLIS) / limit;
    }

    /** Whether the key has a permit free now (nothing taken): a gathering of identifies gathers until then. */
    public boolean hasFreePermit(String tenant) {
        return permits(tenant).availablePermits() > 0;
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
        Semaphore single = calls.get(tenant);
        releases.schedule((Runnable) single::release, WINDOW_MILLIS, TimeUnit.MILLISECONDS);
    }

    private Semaphore permits(String tenant) {
        return calls.computeIfAbsent(tenant, t -> new Semaphore(limit, true));
    }

    private long maxWaitMillis(Exchange exchange) {
        return Math.max(0, budget.remainingMillis(exchange) - budget.attemptMillis());
    }

    @PreDestroy
    void stop() {
        releases.shutdownNow();
    }
}
