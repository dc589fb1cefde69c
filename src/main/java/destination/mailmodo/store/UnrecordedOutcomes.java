package destination.mailmodo.store;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Outcomes decided after Mailmodo answered — a dedupe key's outcome, a contact learned from an accepted identify —
 * that the store refused to record (outage, lock, full disk). They are never forgotten while the process lives:
 * kept here and written as soon as the store answers again, retried well inside {@code destination.dedupe-lease}
 * so no other attempt can take the event over meanwhile; until then the dedupe and the known-contact reads answer
 * from here. A crash loses what is here (the README's "ambiguous" case): a gauge and readiness show it. A write the
 * store refuses for good (a value it cannot hold) is not kept: it is logged and counted, never retried forever.
 */
@Singleton
public class UnrecordedOutcomes {

    /** One write the store refused, kept until it goes through. */
    public interface Pending {

        /** Writes it to the store; throws {@link StoreUnavailable} when the store does not take it. */
        void write();

        /** {@link #write} as one operation on a connection ({@link AsyncStore}). */
        AsyncStore.Operation<?> operation();

        /** For the logs: ids only, never an email or a trait. */
        String describe();

        /** Whether this write, of the same key, supersedes {@code other} (the newest decision by default). */
        default boolean supersedes(Pending other) {
            return true;
        }
    }

    /** A kept write, and the lock that lets one writer at a time try it. */
    private record Waiting(Pending write, ReentrantLock lock) {
        Waiting(Pending write) {
            this(write, new ReentrantLock());
        }
    }

    private static final Logger LOG = Logger.getLogger(UnrecordedOutcomes.class);
    private static final long SHUTDOWN_WRITE_MILLIS = 3000;
    // a request waits at most this long for the writer's attempt at the same key (the sender retries after)
    private static final long WRITE_NOW_WAIT_MILLIS = 1000;
    // SQL state classes of a value the store can never hold: data (22), constraint (23), syntax/access (42), limits (54)
    private static final Set<String> REFUSED_FOR_GOOD = Set.of("22", "23", "42", "54");

    private final Map<Object, Waiting> waiting = new ConcurrentHashMap<>();
    // the writes of the current inOneCommit on this thread: kept here if that commit fails
    private final ThreadLocal<List<Map.Entry<Object, Pending>>> commitScope = new ThreadLocal<>();
    private final long retryMillis;
    private final Counter dropped;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "unrecorded-outcomes-writer");
        thread.setDaemon(true);
        return thread;
    });
    private boolean retryScheduled; // guarded by this

    @Inject
    public UnrecordedOutcomes(@ConfigProperty(name = "destination.dedupe-lease") Duration lease, MeterRegistry registry) {
        this(lease, Counter.builder("mailmodo.destination.unrecordable.outcomes")
                .description("Outcomes the state store refused for good (a value it cannot hold): logged, not kept").register(registry));
        Gauge.builder("mailmodo.destination.unrecorded.outcomes", this, UnrecordedOutcomes::size)
                .description("Outcomes decided but not yet recorded in the state store (lost if the process crashes)")
                .register(registry);
    }

    public UnrecordedOutcomes(Duration lease) {
        this(lease, (Counter) null);
    }

    private UnrecordedOutcomes(Duration lease, Counter dropped) {
        // a tenth of the lease, at most a quarter second: written long before another attempt could take the key over
        this.retryMillis = Math.max(10, Math.min(250, lease.toMillis() / 10));
        this.dropped = dropped;
    }

    /**
     * Records {@code write} now, or keeps it when the store refuses. Inside {@link #inOneCommit} the write only
     * counts once that commit is on disk.
     */
    public void record(Object key, Pending write) {
        try {
            write.write();
        } catch (RuntimeException refused) {
            keep(key, write, refused);
            return;
        }
        List<Map.Entry<Object, Pending>> scope = commitScope.get();
        if (scope != null) {
            scope.add(Map.entry(key, write));
        } else {
            written(key, write);
        }
    }

    /**
     * {@link #record} of several writes (each with its key) as a route step that never blocks the event loop: they
     * run as one {@link AsyncStore} operation; once it is durable, or they are kept here because the store refused
     * it, {@code then} runs and the route goes on. A refusal never fails the exchange.
     *
     * @return whether the route continued in place
     */
    public boolean recordAllAsync(AsyncStore store, Exchange exchange, AsyncCallback callback, Map<Object, Pending> writes,
            Consumer<Exchange> then) {
        AsyncStore.Operation<Integer> all = connection -> {
            for (Pending write : writes.values()) {
                write.operation().run(connection);
            }
            return writes.size();
        };
        return store.run(exchange, callback, all, (recorded, ignored) -> {
            writes.forEach(this::written);
            then.accept(recorded);
        }, (refusedBy, refused) -> {
            // also when it is late: the kept writes are retried, and writing them twice is harmless
            writes.forEach((key, write) -> keep(key, write, refused));
            then.accept(refusedBy);
        }, late -> writes.forEach(this::written));
    }

    /**
     * Runs store operations that share one commit (embedded store); if that commit fails, every write recorded in
     * it is kept here instead of being lost with the rolled-back transaction.
     */
    public <T> T inOneCommit(Store store, Supplier<T> operations) {
        List<Map.Entry<Object, Pending>> scope = new ArrayList<>();
        commitScope.set(scope);
        try {
            T result = store.inOneCommit(operations);
            scope.forEach(done -> written(done.getKey(), done.getValue()));
            return result;
        } catch (StoreUnavailable commitFailed) {
            scope.forEach(done -> keep(done.getKey(), done.getValue(), commitFailed));
            throw commitFailed;
        } finally {
            commitScope.remove();
        }
    }

    /** The write waiting for this key, if the store refused it. */
    public Optional<Pending> find(Object key) {
        if (waiting.isEmpty()) {
            return Optional.empty();
        }
        Waiting kept = waiting.get(key);
        return kept == null ? Optional.empty() : Optional.of(kept.write());
    }

    /** Writes what waits for this key now; true when nothing waits for it any more. */
    public boolean writeNow(Object key) {
        if (waiting.isEmpty()) {
            return true;
        }
        Waiting kept = waiting.get(key);
        return kept == null || writeWaiting(key, kept, WRITE_NOW_WAIT_MILLIS);
    }

    public int size() {
        return waiting.size();
    }

    private void keep(Object key, Pending write, RuntimeException refused) {
        if (refusedForGood(refused)) {
            if (dropped != null) {
                dropped.increment();
            }
            LOG.errorf("state store refuses %s for good (%s): not kept", write.describe(), describe(refused));
            return;
        }
        waiting.merge(key, new Waiting(write), (earlier, later) -> later.write().supersedes(earlier.write()) ? later : earlier);
        LOG.errorf("state store did not record %s: kept in memory and retried every %d ms (%d waiting)",
                write.describe(), retryMillis, waiting.size());
        scheduleRetry();
    }

    /** {@code write} is on disk: what waits for its key is no longer needed, unless it is a newer decision. */
    private void written(Object key, Pending write) {
        if (!waiting.isEmpty()) {
            waiting.computeIfPresent(key, (k, kept) -> write.supersedes(kept.write()) ? null : kept);
        }
    }

    /** One attempt at a kept write; a request and the writer never try the same key at once. */
    private boolean writeWaiting(Object key, Waiting kept, long lockWaitMillis) {
        try {
            if (!kept.lock().tryLock(lockWaitMillis, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            if (waiting.get(key) != kept) {
                return true; // written meanwhile, or replaced by a newer decision that is tried on its own
            }
            kept.write().write();
            waiting.remove(key, kept);
            return true;
        } catch (RuntimeException refused) {
            if (refusedForGood(refused)) {
                waiting.remove(key, kept);
                keep(key, kept.write(), refused); // counted and logged, not kept
                return true;
            }
            return false;
        } finally {
            kept.lock().unlock();
        }
    }

    private synchronized void scheduleRetry() {
        if (!retryScheduled && !writer.isShutdown()) {
            retryScheduled = true;
            writer.schedule(this::retry, retryMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void retry() {
        boolean allWritten = false;
        try {
            allWritten = writeAll();
        } finally {
            synchronized (this) {
                retryScheduled = false;
            }
            if (!allWritten || !waiting.isEmpty()) {
                scheduleRetry();
            } else {
                LOG.info("state store answers again: every kept outcome is recorded");
            }
        }
    }

    /** Writes everything waiting, in turn; stops at the first refusal (the store is still down). */
    private boolean writeAll() {
        for (Map.Entry<Object, Waiting> kept : List.copyOf(waiting.entrySet())) {
            if (!writeWaiting(kept.getKey(), kept.getValue(), retryMillis)) {
                return false;
            }
        }
        return true;
    }

    /** A value the store can never hold (or a bug): retrying it would keep it, and readiness DOWN, forever. */
    private static boolean refusedForGood(RuntimeException refused) {
        if (!(refused instanceof StoreUnavailable)) {
            return true;
        }
        for (Throwable cause = refused.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().length() >= 2) {
                return REFUSED_FOR_GOOD.contains(sql.getSQLState().substring(0, 2));
            }
        }
        return false;
    }

    private static String describe(RuntimeException refused) {
        Throwable cause = refused instanceof StoreUnavailable && refused.getCause() != null ? refused.getCause() : refused;
        return cause.getClass().getName() + (cause instanceof SQLException sql ? ", SQL state " + sql.getSQLState() : "");
    }

    /**
     * On SIGTERM, once requests in flight are answered: a last attempt to record what waits (for about three
     * seconds, each write bounded by the store's own timeouts); what still cannot be written is logged by id.
     */
    void onShutdown(@Observes ShutdownEvent stop) {
        long deadline = System.currentTimeMillis() + SHUTDOWN_WRITE_MILLIS;
        while (!waiting.isEmpty() && !writeAll() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(retryMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!waiting.isEmpty()) {
            LOG.errorf("shutdown: %d outcomes could not be recorded in the state store and are lost with this process "
                    + "(their redelivery may reach Mailmodo again): %s", waiting.size(),
                    waiting.values().stream().map(kept -> kept.write().describe()).toList());
        }
    }

    @PreDestroy
    void stop() {
        writer.shutdownNow();
    }
}
